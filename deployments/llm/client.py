"""The LLM as the agent and the topic pipeline see it: OpenAI-shaped requests in, responses out.

Either the in-cluster `LLMServer` handle or an external OpenAI-compatible endpoint stands behind
this protocol, so callers never know which.
"""

from __future__ import annotations

from typing import Any, Protocol


class LLMClient(Protocol):
    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI completion request (`prompt`, `max_tokens`, `stop`, `n`, `logprobs`, and any constraint
        spelling: `structured_outputs`, `response_format`, `guided_*`) -> response."""
        ...

    async def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI chat request (`messages`, ...) -> chat completion response."""
        ...


class HandleLLMClient:
    """`LLMClient` over the `LLMServer` deployment handle."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self.handle.completions.remote(request)

    async def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self.handle.chat.remote(request)


def completion_text(response: dict[str, Any]) -> str:
    """The text of the first choice of a completion or chat response."""
    choice = response["choices"][0]
    return choice["text"] if "text" in choice else choice["message"]["content"] or ""
