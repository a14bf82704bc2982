"""OpenAI request models for completions and chat, in the order of OpenAI's reference.

They cross the ingress -> LLMServer boundary as plain dicts (``model_dump``), so a replica never
depends on FastAPI. Fields that OpenAI does not have are fenced under a comment, as vLLM does.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_STOP_STRINGS = 16
MAX_GUIDED_CHOICES = 256
MAX_TOKENS_LIMIT = 2**31 - 1  # beyond any model's context: larger values are typos or probes, refused at the edge


def _unencodable_path(data: Any) -> str | None:
    """Where ``data`` holds a string that is not valid Unicode (a lone surrogate, which JSON's ``\\ud800``
    escapes allow), or None. Iterative: a body may nest as deep as the JSON parser lets it."""
    stack: list[tuple[str, Any]] = [("body", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return path
        elif isinstance(value, dict):
            stack.extend((f"{path}.{key}", item) for key, item in value.items())
            stack.extend((path, key) for key in value if isinstance(key, str))
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


class _SamplingFields(BaseModel):
    """The generation parameters completions and chat share."""

    # Unknown fields are ignored, as OpenAI-compatible servers do: clients send newer fields freely.
    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(None, description="Served model name; omitted means the default model.")
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, description="Most tokens to generate; at least 1.")
    temperature: float = Field(1.0, ge=0.0, le=2.0, description="0 means greedy decoding.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    n: int = Field(1, description="Number of choices; only 1 is supported.",
                   json_schema_extra={"minimum": 1, "maximum": 1})
    stream: bool = Field(False, description="Answer with server-sent events.")
    stop: str | list[str] | None = Field(None, description="Strings that end the output, cut before them.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Same seed and input give the same output.")
    user: str | None = None

    # --- fields that are not in the OpenAI spec ---
    guided_choice: list[str] | None = Field(
        None, description="The output is exactly one of these strings, chosen by constrained decoding."
    )
    ignore_eos: bool = Field(False, description="Keep generating past end-of-sequence (as vLLM): benchmarks.")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        """Lone surrogates would crash the tokenizer and the JSON encoder of any reply echoing them: 400 here."""
        path = _unencodable_path(data)
        if path is not None:
            raise ValueError(f"{path} holds text that is not valid Unicode (a lone UTF-16 surrogate)")
        return data

    @field_validator("n")
    @classmethod
    def _only_one_choice(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only n=1 is supported")
        return value

    @field_validator("stop")
    @classmethod
    def _stop_list(cls, value: str | list[str] | None) -> list[str] | None:
        stops = [value] if isinstance(value, str) else value
        if stops is None:
            return None
        if len(stops) > MAX_STOP_STRINGS or any(not s for s in stops):
            raise ValueError(f"stop takes 1 to {MAX_STOP_STRINGS} non-empty strings")
        return stops

    @field_validator("guided_choice")
    @classmethod
    def _choices(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not (1 <= len(value) <= MAX_GUIDED_CHOICES and all(value)):
            raise ValueError(f"guided_choice takes 1 to {MAX_GUIDED_CHOICES} non-empty strings")
        return value


class CompletionRequest(_SamplingFields):
    """``POST /v1/completions``."""

    prompt: str | list[str] = Field(..., description="The prompt; a list must hold exactly one string.")

    @field_validator("prompt")
    @classmethod
    def _single_prompt(cls, value: str | list[str]) -> str:
        if isinstance(value, list):
            if len(value) != 1:
                raise ValueError("a prompt list must hold exactly one string")
            return value[0]
        return value


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict] | None = None

    @field_validator("content")
    @classmethod
    def _text_only(cls, value: str | list[dict] | None) -> str:
        """Content parts are flattened to text: this model reads text only."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        texts = []
        for part in value:
            if part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ValueError("only text content parts are supported")
            texts.append(part["text"])
        return "".join(texts)


class ChatCompletionRequest(_SamplingFields):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(..., min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, description="Newer name for max_tokens.")

    @model_validator(mode="after")
    def _merge_max_tokens(self) -> "ChatCompletionRequest":
        if self.max_tokens is None and self.max_completion_tokens is not None:
            self.max_tokens = self.max_completion_tokens
        return self
