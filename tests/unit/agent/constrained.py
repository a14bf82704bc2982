"""Reading the agent's constrained requests in tests: the choice list or grammar it sent, and a
scripted LLM that fails the test when its reply breaks that constraint (llguidance checks it)."""

from __future__ import annotations

from typing import Any

from deployments.llm.guided import ConstraintSpec, byte_matcher
from tests.unit.fakes import ScriptedLLM


def choice(request: dict[str, Any]) -> list[str] | None:
    return (request.get("structured_outputs") or {}).get("choice")


def grammar(request: dict[str, Any]) -> str | None:
    return (request.get("structured_outputs") or {}).get("grammar")


def constrained(request: dict[str, Any]) -> bool:
    return bool(request.get("structured_outputs"))


def allows(lark: str, text: str) -> bool:
    return byte_matcher(ConstraintSpec("grammar", lark).validate()).accepts(text)


class CheckedLLM(ScriptedLLM):
    """A ScriptedLLM whose replies must satisfy the request's choice list or grammar."""

    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = await super().complete(request)
        text = reply["choices"][0]["text"]
        if choice(request) is not None:
            assert text in choice(request), f"{text!r} is not one of {choice(request)}"
        if grammar(request) is not None:
            assert allows(grammar(request), text), f"{text!r} is outside the grammar"
        return reply
