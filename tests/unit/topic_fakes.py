"""Hand-written fakes for the topic pipeline's unit tests: an LLM client and an embedder, no Ray."""

from __future__ import annotations

import hashlib

import numpy as np


class FakeLLMClient:
    """Answers each completion with the canned text of the first keyword found in the prompt's
    last document; records every request so tests can check what was sent."""

    def __init__(self, answers: dict[str, str], default: str = " Miscellany") -> None:
        self.answers = answers
        self.default = default
        self.requests: list[dict] = []

    async def complete(self, request: dict) -> dict:
        self.requests.append(request)
        document = request["prompt"].rsplit("Document:", 1)[-1]
        text = next((answer for key, answer in self.answers.items() if key in document), self.default)
        return {"choices": [{"text": text, "index": 0, "finish_reason": "stop"}]}

    async def chat(self, request: dict) -> dict:
        raise NotImplementedError


class FakeEmbedder:
    """Unit vectors: fixed ones for known texts, else a hashed bag of lower-cased words, so texts
    sharing words are similar and unrelated ones nearly orthogonal."""

    def __init__(self, fixed: dict[str, list[float]] | None = None, dim: int = 64) -> None:
        self.fixed = fixed or {}
        self.dim = dim
        self.calls = 0

    def vector(self, text: str) -> np.ndarray:
        if text in self.fixed:
            v = np.asarray(self.fixed[text], dtype=np.float64)
        else:
            v = np.zeros(self.dim)
            for word in text.lower().replace("-", " ").split():
                v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / np.linalg.norm(v)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self.vector(t).tolist() for t in texts]
