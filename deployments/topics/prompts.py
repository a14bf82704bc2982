"""Labelling prompts an experiment can compare: built-in shapes by name (filled with the domain's
instruction and examples), or the caller's template.

A custom template is plain `str.format` text with exactly the fields `{text}` and `{max_labels}`;
anything else (another field, attribute access such as `{text.__class__}`, a format spec, an
unbalanced brace) is refused before any model runs, so a typo costs a 400, not an experiment.
Every prompt is read by the same parser (`labeling.parse_labels`): a numbered list, bullets, or one
comma-separated line.
"""

from __future__ import annotations

from string import Formatter
from typing import Callable

from deployments.topics.domain import Domain
from deployments.topics.labeling import PromptBuilder, few_shot_prompt

_FIELDS = ("text", "max_labels")


def _zero_shot(domain: Domain) -> PromptBuilder:
    """The instruction alone, no examples: does the few-shot block earn its tokens?"""

    def build(text: str, max_labels: int) -> str:
        return f"{domain.head(max_labels)}\n\nDocument: {' '.join(text.split())}\nTopics:\n1."

    return build


def _comma_line(domain: Domain) -> PromptBuilder:
    """One comma-separated line instead of a list: fewer tokens per label on a small model."""

    def build(text: str, max_labels: int) -> str:
        return f"{domain.head(max_labels)}\n\nDocument: {' '.join(text.split())}\nTopics, separated by commas:"

    return build


def _two_shot(domain: Domain) -> PromptBuilder:
    """The domain's first two examples only: half the prefill of a longer few-shot block."""
    return few_shot_prompt(domain.model_copy(update={"examples": domain.examples[:2]}))


# Built-in prompt shapes; each is filled with a domain's instruction and examples.
BUILT_IN: dict[str, Callable[[Domain], PromptBuilder]] = {
    "few_shot_list": few_shot_prompt,  # the default labeller's prompt
    "two_shot_list": _two_shot,
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


def prompt_builder(name: str, template: str | None = None, domain: Domain | None = None) -> PromptBuilder:
    """The prompt named `name` (built in, filled from `domain`, None: the neutral one), or the custom
    `template` when one is given."""
    if template is not None:
        return template_prompt(template)
    if name not in BUILT_IN:
        raise ValueError(f"unknown prompt '{name}'; built-in prompts: {', '.join(BUILT_IN)} "
                         "(or give a `template` with {text} and {max_labels})")
    return BUILT_IN[name](domain or Domain())
