"""Small hand-written fakes for the agent's unit tests: a scripted LLM and an in-memory store."""

from __future__ import annotations

from typing import Any, Callable


class ScriptedLLM:
    """An LLMClient that answers each completion with ``respond(request)`` and records the requests."""

    def __init__(self, respond: Callable[[dict[str, Any]], str]) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []

    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        text = self.respond(request)
        if request.get("guided_choice"):
            assert text in request["guided_choice"], f"{text!r} is not one of the allowed choices"
        return {"choices": [{"text": text}], "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}}

    async def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the agent uses completions only")


class FakeDocuments:
    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = docs

    async def search(self, query: str, k: int, mode: str) -> list[dict[str, Any]]:
        words = set(query.lower().split())
        hits = [(len(words & set(text.lower().replace(".", "").split())), doc_id, text)
                for doc_id, text in self.docs.items()]
        hits = sorted((h for h in hits if h[0] > 0), reverse=True)[:k]
        return [{"id": doc_id, "text": text, "score": float(score)} for score, doc_id, text in hits]

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        return {"id": doc_id, "text": self.docs[doc_id], "metadata": {}} if doc_id in self.docs else None
