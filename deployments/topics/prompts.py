"""Labelling prompts an experiment can compare: built-in variants by name, or the caller's template.

A custom template is plain `str.format` text with exactly the fields `{text}` and `{max_labels}`;
anything else (another field, attribute access such as `{text.__class__}`, a format spec, an
unbalanced brace) is refused before any model runs, so a typo costs a 400, not an experiment.
Every prompt is read by the same parser (`labeling.parse_labels`): a numbered list, bullets, or one
comma-separated line.
"""

from __future__ import annotations

from string import Formatter

from deployments.topics.labeling import TWO_EXAMPLES, PromptBuilder, build_prompt, few_shot_prompt

_FIELDS = ("text", "max_labels")


def _zero_shot(text: str, max_labels: int) -> str:
    """The instruction alone, no examples: does the few-shot block earn its tokens?"""
    return (f"List up to {max_labels} short topic labels (art movement, medium or genre) for the document.\n\n"
            f"Document: {' '.join(text.split())}\nTopics:\n1.")


def _comma_line(text: str, max_labels: int) -> str:
    """One comma-separated line instead of a list: fewer tokens per label on a small model."""
    return (f"Document: {' '.join(text.split())}\n"
            f"Up to {max_labels} topic labels (art movement, medium or genre), separated by commas:")


BUILT_IN: dict[str, PromptBuilder] = {
    "few_shot_list": build_prompt,  # the default labeller's prompt: six examples
    "two_shot_list": few_shot_prompt(TWO_EXAMPLES),  # the default until the prompt comparison: half the prefill
    "zero_shot": _zero_shot,
    "comma_line": _comma_line,
}


def check_template(template: str) -> str:
    """`template` if it is a usable custom prompt, else ValueError saying what is wrong."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"not a format template ({exc}); write a literal brace as '{{{{' or '}}}}'") from None
    fields = [(name, spec, conversion) for _, name, spec, conversion in parts if name is not None]
    for name, spec, conversion in fields:
        if name not in _FIELDS or spec or conversion:
            raise ValueError(f"unknown field '{{{name}}}'; a template may use only {{text}} and {{max_labels}}")
    if "text" not in {name for name, _, _ in fields}:
        raise ValueError("the template must contain {text}, where the document goes")
    return template


def template_prompt(template: str) -> PromptBuilder:
    """A prompt builder from a checked custom template."""
    check_template(template)

    def build(text: str, max_labels: int) -> str:
        return template.format(text=" ".join(text.split()), max_labels=max_labels)

    return build


def prompt_builder(name: str, template: str | None = None) -> PromptBuilder:
    """The prompt named `name` (built in), or the custom `template` when one is given."""
    if template is not None:
        return template_prompt(template)
    if name not in BUILT_IN:
        raise ValueError(f"unknown prompt '{name}'; built-in prompts: {', '.join(BUILT_IN)} "
                         "(or give a `template` with {text} and {max_labels})")
    return BUILT_IN[name]
