"""The agent's only way to the model: short completions through an `LLMClient`.

Greedy (temperature 0, the default) keeps a run reproducible; self-consistency samples instead
(temperature > 0, one seed per run, so each run is reproducible too and runs differ from each
other). `stop` sequences end a field before the model writes the backend's part; usage is summed
over every call of a run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from deployments.llm.client import LLMClient, completion_text


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    llm_calls: int = 0

    def add(self, usage: dict[str, Any] | None) -> None:
        usage = usage or {}
        self.prompt_tokens += int(usage.get("prompt_tokens", 0))
        self.completion_tokens += int(usage.get("completion_tokens", 0))
        self.total_tokens += int(usage.get("total_tokens", 0))
        self.llm_calls += 1

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class Generator:
    def __init__(self, client: LLMClient, usage: Usage, seed: int = 0, temperature: float = 0.0) -> None:
        self.client, self.usage, self.seed, self.temperature = client, usage, seed, temperature

    async def __call__(
        self, prompt: str, max_tokens: int, stop: list[str] | None = None, choices: list[str] | None = None,
        grammar: str | None = None,
    ) -> str:
        """The completion of ``prompt``: free text cut at ``stop``, one of ``choices``, or a sentence of
        the Lark ``grammar`` (vLLM's ``structured_outputs``, which the LLM server compiles with llguidance)."""
        request: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "temperature": self.temperature,
                                   "seed": self.seed}
        if stop:
            request["stop"] = stop
        if choices:
            request["structured_outputs"] = {"choice": choices}
        elif grammar:
            request["structured_outputs"] = {"grammar": grammar}
        response = await self.client.complete(request)
        self.usage.add(response.get("usage"))
        return completion_text(response)
