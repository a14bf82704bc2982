"""The labelling domain: the instruction and worked examples the labeller's prompt is built from.

A domain is data, never code: the pipeline's default is domain-neutral (an instruction that names
no field and examples from unrelated walks of life, so the model learns the list format and the
granularity, not a vocabulary); a deployment sets its own in `serve_config.yaml` (`args.topics.domain`),
a request in its `domain` field, the batch command with `--domain FILE.yaml`. Ready-made domains
live in `data/domains/*.yaml` (`instruction`, `examples: [{text, labels}]`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from string import Formatter

from pydantic import BaseModel, ConfigDict, Field, field_validator

NEUTRAL_INSTRUCTION = ("List up to {max_labels} short topic labels for each document: first the general field it "
                       "belongs to, then narrower subjects.")
NEUTRAL_GENERALIZE = "Give one short, general category name that covers all the labels of each group."


class DomainExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=2000, description="An example document, not from the corpus.")
    labels: list[str] = Field(..., min_length=1, max_length=10, description="Its labels, most important first.")

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(label.split()) for label in value]
        if any(not label or len(label) > 60 for label in cleaned):
            raise ValueError("example labels must be non-blank and at most 60 characters")
        return cleaned


# Four documents from unrelated everyday walks of life (none of them the theme of a corpus in the
# repository, so no label of theirs is a plausible answer there): they teach the list format and the
# grain of a label (a short, general noun phrase first, narrower ones after, fewer when fewer fit),
# not a domain's words.
_NEUTRAL_EXAMPLES = (
    DomainExample(text="The council approved a new cycle lane along the river and cut parking fees in the centre.",
                  labels=["Transport", "Local government", "Cycling"]),
    DomainExample(text="Knead the dough for ten minutes, let it rise overnight and bake it in a hot oven.",
                  labels=["Cooking", "Bread"]),
    DomainExample(text="The hotel is a short walk from the old harbour; book the ferry to the islands a day ahead.",
                  labels=["Travel", "Hotels", "Ferries"]),
    DomainExample(text="Fill the gaps around the window frame with sealant before the first frost.",
                  labels=["Home repair"]),
)


class GeneralizeExample(BaseModel):
    """A worked example of naming a cluster: the labels its documents were given, and the category."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(..., min_length=1, max_length=12, description="Labels of a group of documents.")
    name: str = Field(..., min_length=1, max_length=60, description="The general category that covers them.")


# The same everyday walks of life as the labelling examples: they teach the step (from narrow labels
# to the field they share), not a domain's words.
_NEUTRAL_GENERALIZE_EXAMPLES = (
    GeneralizeExample(labels=["Cycling", "Bus timetables", "Railways", "Parking fees"], name="Transport"),
    GeneralizeExample(labels=["Bread", "Baking", "Pasta recipes", "Kitchen knives"], name="Cooking"),
    GeneralizeExample(labels=["Roof repair", "Plumbing", "Window sealant"], name="Home repair"),
)


class Domain(BaseModel):
    """What the labeller is told: an instruction (with `{max_labels}` where the number goes) and examples."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("neutral", min_length=1, max_length=64, description="Names the domain in cache keys and reports.")
    instruction: str = Field(NEUTRAL_INSTRUCTION, min_length=1, max_length=1000,
                             description="The prompt's first line; may use {max_labels}.")
    examples: list[DomainExample] = Field(default_factory=lambda: list(_NEUTRAL_EXAMPLES), max_length=12,
                                          description="Worked examples shown before the document (few-shot).")
    generalize_instruction: str = Field(NEUTRAL_GENERALIZE, min_length=1, max_length=1000,
                                        description="The first line of the prompt that names a document cluster "
                                        "by a general category covering its members' labels.")
    generalize_examples: list[GeneralizeExample] = Field(
        default_factory=lambda: list(_NEUTRAL_GENERALIZE_EXAMPLES), max_length=12,
        description="Worked examples of naming a cluster from its labels (few-shot).")

    @field_validator("instruction")
    @classmethod
    def _instruction(cls, value: str) -> str:
        try:
            fields = [name for _, name, spec, conv in Formatter().parse(value) if name is not None]
        except ValueError as exc:
            raise ValueError(f"instruction is not a format template ({exc}); write a literal brace twice") from None
        if any(name != "max_labels" for name in fields):
            raise ValueError("the instruction may use only the field {max_labels}")
        return value

    def head(self, max_labels: int) -> str:
        """The instruction with the number of labels filled in."""
        return self.instruction.format(max_labels=max_labels)

    def key(self) -> str:
        """A stable digest of everything that shapes the prompt: part of a label cache key."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def load_domain(path: str | Path) -> Domain:
    """A domain from a YAML (or JSON) file; the file name is its name unless it says otherwise."""
    import yaml

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    raw.setdefault("name", Path(path).stem)
    return Domain.model_validate(raw)
