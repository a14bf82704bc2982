"""The request fields that constrain the output, in every spelling clients use, reduced to one spec.

- vLLM (0.12+): ``structured_outputs: {choice | regex | json | grammar}``;
- OpenAI: ``response_format: {"type": "json_schema", "json_schema": {"schema": ...}}`` or ``json_object``;
- older vLLM: ``guided_choice``, ``guided_regex``, ``guided_json``, ``guided_grammar`` (aliases).

At most one may be given. `constraint_spec()` returns the `ConstraintSpec` the replica compiles;
the grammar is validated here, so a bad regex or schema is a 400 at the ingress, naming the field.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deployments.llm.guided import ConstraintError, ConstraintSpec

MAX_CHOICES = 256
MAX_CONSTRAINT_CHARS = 64 * 1024


def _schema(value: Any, field: str) -> dict | bool:
    """A JSON Schema given as an object or as a JSON string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"{field} is not valid JSON") from None
    if not isinstance(value, (dict, bool)):
        raise ValueError(f"{field} must be a JSON Schema object")
    return value


def _choices(value: list[str]) -> list[str]:
    if not (1 <= len(value) <= MAX_CHOICES and all(value)):
        raise ValueError(f"takes 1 to {MAX_CHOICES} non-empty strings")
    return value


class StructuredOutputs(BaseModel):
    """vLLM's ``structured_outputs``: exactly one of its kinds."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    choice: list[str] | None = Field(None, description="The output is exactly one of these strings.")
    regex: str | None = Field(None, max_length=MAX_CONSTRAINT_CHARS, description="The output fully matches this regex.")
    json_: dict | str | None = Field(None, alias="json", description="The output is JSON valid against this schema.")
    grammar: str | None = Field(None, max_length=MAX_CONSTRAINT_CHARS, description="A Lark grammar (llguidance's dialect).")

    @field_validator("choice")
    @classmethod
    def _valid_choices(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _choices(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> "StructuredOutputs":
        given = [k for k in ("choice", "regex", "json_", "grammar") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("structured_outputs takes exactly one of choice, regex, json, grammar")
        return self

    def spec(self) -> ConstraintSpec:
        if self.choice is not None:
            return ConstraintSpec("choice", self.choice)
        if self.regex is not None:
            return ConstraintSpec("regex", self.regex)
        if self.json_ is not None:
            return ConstraintSpec("json", _schema(self.json_, "structured_outputs.json"))
        return ConstraintSpec("grammar", self.grammar)


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = Field("response", max_length=64)
    description: str | None = None
    schema_: dict | None = Field(None, alias="schema", description="The JSON Schema; none means any JSON object.")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    """OpenAI's ``response_format``."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> "ResponseFormat":
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type json_schema needs json_schema")
        return self

    def spec(self) -> ConstraintSpec | None:
        if self.type == "text":
            return None
        if self.type == "json_object" or self.json_schema is None or self.json_schema.schema_ is None:
            return ConstraintSpec("json", True)
        return ConstraintSpec("json", self.json_schema.schema_)


_FIELDS = ("structured_outputs", "response_format", "guided_choice", "guided_regex", "guided_json", "guided_grammar")


class ConstraintFields(BaseModel):
    """Mixed into the completion and chat requests."""

    response_format: ResponseFormat | None = Field(None, description="OpenAI: json_object or json_schema output.")

    # --- fields that are not in the OpenAI spec ---
    structured_outputs: StructuredOutputs | None = Field(None, description="vLLM: choice, regex, json or grammar.")
    guided_choice: list[str] | None = Field(None, description="Alias of structured_outputs.choice.")
    guided_regex: str | None = Field(None, max_length=MAX_CONSTRAINT_CHARS, description="Alias of structured_outputs.regex.")
    guided_json: dict | str | None = Field(None, description="Alias of structured_outputs.json.")
    guided_grammar: str | None = Field(None, max_length=MAX_CONSTRAINT_CHARS, description="Alias of structured_outputs.grammar.")

    @field_validator("guided_choice")
    @classmethod
    def _valid_guided_choice(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _choices(value)

    @model_validator(mode="after")
    def _one_constraint(self) -> "ConstraintFields":
        given = [name for name in _FIELDS if getattr(self, name) is not None
                 and not (name == "response_format" and self.response_format.type == "text")]
        if len(given) > 1:
            raise ValueError(f"give one output constraint, not {len(given)} ({', '.join(given)})")
        spec = self.constraint_spec()
        if spec is not None:
            try:
                spec.validate()
            except ConstraintError as exc:
                raise ValueError(f"{given[0] if given else 'tools'}: {exc}") from None
        return self

    def constraint_spec(self) -> ConstraintSpec | None:
        """The one constraint this request asks for, whatever its spelling; None for free text."""
        if self.structured_outputs is not None:
            return self.structured_outputs.spec()
        if self.response_format is not None:
            return self.response_format.spec()
        if self.guided_choice is not None:
            return ConstraintSpec("choice", self.guided_choice)
        if self.guided_regex is not None:
            return ConstraintSpec("regex", self.guided_regex)
        if self.guided_json is not None:
            return ConstraintSpec("json", _schema(self.guided_json, "guided_json"))
        if self.guided_grammar is not None:
            return ConstraintSpec("grammar", self.guided_grammar)
        return None
