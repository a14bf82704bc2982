"""`POST /v1/embeddings`: the OpenAI request model and response body, over the Embedder's vectors.

OpenAI's clients ask for ``encoding_format: base64`` by default (little-endian float32, base64), so
both encodings are served. Token-array inputs need OpenAI's own tokenizer (tiktoken) to mean
anything, so they are refused with a 400 instead of being embedded as numbers.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_INPUTS = 2048  # OpenAI's limit per request
MAX_INPUT_CHARS = 100_000


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str | list[str] | list[int] | list[list[int]] = Field(..., description="A text or a list of texts.")
    model: str | None = Field(None, description="The embedder's name; omitted means the deployed embedder.")
    encoding_format: Literal["float", "base64"] = Field("float", description="Vectors as float lists or base64 float32.")
    dimensions: int | None = Field(None, ge=1, description="Only the model's own dimension is supported.")
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _texts(cls, value: Any) -> list[str]:
        texts = [value] if isinstance(value, str) else value
        if not texts:
            raise ValueError("input must hold at least one text")
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("token arrays are not supported: send text (LangChain: check_embedding_ctx_length=False)")
        if len(texts) > MAX_INPUTS:
            raise ValueError(f"input holds {len(texts)} texts; at most {MAX_INPUTS}")
        if any(not t or len(t) > MAX_INPUT_CHARS for t in texts):
            raise ValueError(f"every input text must be non-empty and at most {MAX_INPUT_CHARS} characters")
        return texts


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return vector


def embedding_response(vectors: list[list[float]], model: str, encoding: str, tokens: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": _encode(v, encoding)} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
