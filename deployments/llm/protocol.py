"""OpenAI request models for completions and chat, in the order of OpenAI's reference.

They cross the ingress -> LLMServer boundary as plain dicts (``model_dump``), so a replica never
depends on FastAPI. Fields that OpenAI does not have are fenced under a comment, as vLLM does.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deployments.llm.constraints import ConstraintFields, StructuredOutputs  # noqa: F401 - re-exported
from deployments.llm.guided import ConstraintSpec
from deployments.llm.tools import ToolFields

logger = logging.getLogger("ray.serve")

MAX_STOP_STRINGS = 16
MAX_GUIDED_CHOICES = 256
MAX_N = 8
MAX_COMPLETION_LOGPROBS = 5  # OpenAI's limits
MAX_TOP_LOGPROBS = 20
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


# Fields OpenAI defines that change what is generated and that Medici does not implement, each with
# the one value that asks for nothing (or _ANY: every value asks for something): any other value is
# a 400 naming the field, never silently ignored.
_ANY = object()
_UNSUPPORTED_OPENAI: dict[str, Any] = {
    "logit_bias": {}, "functions": [], "function_call": "none", "audio": _ANY, "modalities": ["text"],
    "prediction": _ANY, "web_search_options": _ANY, "reasoning_effort": _ANY, "verbosity": _ANY,
    "best_of": 1, "echo": False, "suffix": "",
}
# OpenAI-defined fields that do not change the output here: accepted without a warning.
_HARMLESS_OPENAI = {"store", "metadata", "service_tier", "prompt_cache_key", "safety_identifier"}


def _unsupported(name: str) -> Any:
    """A declared field, so that a 400 names it (``param``); never sent on to the replica."""
    return Field(None, exclude=True, description=f"Not supported: only {_UNSUPPORTED_OPENAI[name]!r} or null"
                 if _UNSUPPORTED_OPENAI[name] is not _ANY else "Not supported: must be null or absent.")

class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = Field(False, description="A last chunk with the usage and no choices.")



class _SamplingFields(ConstraintFields):
    """The generation parameters completions and chat share."""

    # A field OpenAI does not define is ignored with a warning in the log, as vLLM does; one it defines
    # that Medici does not support is refused by `_known_fields`.
    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(None, description="Served model name; omitted means the default model.")
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, description="Most tokens to generate; at least 1.")
    temperature: float = Field(1.0, ge=0.0, le=2.0, description="0 means greedy decoding.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    n: int = Field(1, ge=1, le=MAX_N, description=f"Number of choices, decoded together (at most {MAX_N}).")
    stream: bool = Field(False, description="Answer with server-sent events.")
    stop: str | list[str] | None = Field(None, description="Strings that end the output, cut before them.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Same seed and input give the same output.")
    presence_penalty: float = Field(0.0, ge=-2.0, le=2.0, description="Lowers tokens already generated once.")
    frequency_penalty: float = Field(0.0, ge=-2.0, le=2.0, description="Lowers tokens by how often they were generated.")
    stream_options: StreamOptions | None = Field(None, description="With stream: include_usage adds a usage chunk.")
    user: str | None = None

    # --- OpenAI fields Medici does not support (a 400 unless null or the value that asks for nothing) ---
    logit_bias: Any = _unsupported("logit_bias")
    functions: Any = _unsupported("functions")
    function_call: Any = _unsupported("function_call")
    audio: Any = _unsupported("audio")
    modalities: Any = _unsupported("modalities")
    prediction: Any = _unsupported("prediction")
    web_search_options: Any = _unsupported("web_search_options")
    reasoning_effort: Any = _unsupported("reasoning_effort")
    verbosity: Any = _unsupported("verbosity")
    best_of: Any = _unsupported("best_of")
    echo: Any = _unsupported("echo")
    suffix: Any = _unsupported("suffix")

    # --- fields that are not in the OpenAI spec ---
    ignore_eos: bool = Field(False, description="Keep generating past end-of-sequence (as vLLM): benchmarks.")

    @model_validator(mode="before")
    @classmethod
    def _warn_unknown(cls, data: Any) -> Any:
        """A field OpenAI does not define is ignored, with a warning in the log (as vLLM does)."""
        if isinstance(data, dict):
            unknown = [name for name in data if name not in cls.model_fields and name not in _HARMLESS_OPENAI]
            if unknown:
                logger.warning("ignoring unknown request fields: %s", ", ".join(repr(n[:64]) for n in unknown[:8]))
        return data

    @field_validator(*_UNSUPPORTED_OPENAI)
    @classmethod
    def _refuse_unsupported(cls, value: Any, info: Any) -> Any:
        if value is not None and value != _UNSUPPORTED_OPENAI[info.field_name]:
            raise ValueError(f"{info.field_name} is not supported by this server")
        return None

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        """Lone surrogates would crash the tokenizer and the JSON encoder of any reply echoing them: 400 here."""
        path = _unencodable_path(data)
        if path is not None:
            raise ValueError(f"{path} holds text that is not valid Unicode (a lone UTF-16 surrogate)")
        return data

    @field_validator("stop")
    @classmethod
    def _stop_list(cls, value: str | list[str] | None) -> list[str] | None:
        stops = [value] if isinstance(value, str) else value
        if stops is None:
            return None
        if len(stops) > MAX_STOP_STRINGS or any(not s for s in stops):
            raise ValueError(f"stop takes 1 to {MAX_STOP_STRINGS} non-empty strings")
        return stops




class CompletionRequest(_SamplingFields):
    """``POST /v1/completions``."""

    prompt: str | list[str] = Field(..., description="The prompt; a list must hold exactly one string.")
    logprobs: int | None = Field(None, ge=0, le=MAX_COMPLETION_LOGPROBS,
                                 description="Logprobs of each generated token and of the most likely this many.")

    def logprobs_k(self) -> int | None:
        return self.logprobs

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
    tool_calls: list[dict] | None = Field(None, description="An assistant's earlier calls (shown to the model as text).")
    tool_call_id: str | None = None

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


class ChatCompletionRequest(_SamplingFields, ToolFields):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(..., min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, description="Newer name for max_tokens.")
    logprobs: bool = Field(False, description="Return the logprob of each generated token.")
    top_logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS,
                                     description="With logprobs: also the most likely this many tokens at each step.")

    def logprobs_k(self) -> int | None:
        return (self.top_logprobs or 0) if self.logprobs else None

    def constraint_spec(self) -> ConstraintSpec | None:
        """With tools (auto, required or named) the tools grammar constrains the output."""
        return self.tool_constraint() or super().constraint_spec()

    @model_validator(mode="after")
    def _tools_or_constraint(self) -> "ChatCompletionRequest":
        if self.tool_constraint() is not None and ConstraintFields.constraint_spec(self) is not None:
            raise ValueError("tools (unless tool_choice is none) cannot be combined with an output constraint: "
                             "a tool answer is constrained by the tools' own grammar")
        return self

    @model_validator(mode="after")
    def _merge_max_tokens(self) -> "ChatCompletionRequest":
        if self.max_tokens is None and self.max_completion_tokens is not None:
            self.max_tokens = self.max_completion_tokens
        if self.top_logprobs and not self.logprobs:
            raise ValueError("top_logprobs needs logprobs: true")
        return self
