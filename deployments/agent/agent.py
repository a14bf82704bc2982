"""The Agent replica: answers a question with the ReAct loop over the document tools.

`mode="improved"` (default) runs our loop; `mode="naive"` runs the classic LangChain one on the
same model and tools, so the evaluation can compare them through the same route. `samples=1`
(default) is one greedy run; `samples=n` runs n sampled runs at once and votes
(`self_consistency.py`).
"""

from __future__ import annotations

from typing import Any

from deployments import errors
from deployments.agent.classic import ClassicAgent
from deployments.agent.generation import Generator, Usage
from deployments.agent.react import ImprovedAgent
from deployments.agent.self_consistency import self_consistent
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import Documents, HandleDocuments, build_tools
from deployments.agent.trace import Run
from deployments.llm.backend import make_llm_client
from deployments.llm.client import LLMClient
from deployments.parallel import Limits

MODES = ("improved", "naive")


class Agent:
    def __init__(self, llm: Any, documents: Any, settings: dict | None = None) -> None:
        self.settings = AgentSettings(**(settings or {}))
        self.llm: LLMClient = make_llm_client(self.settings.llm_backend, llm)
        self.documents: Documents = HandleDocuments(documents)
        self.tools = build_tools(self.documents, search_k=self.settings.search_k)

    async def ask(self, question: str, max_steps: int | None = None, mode: str = "improved",
                  samples: int = 1) -> dict:
        """{"answer", "steps", "stop_reason", "usage", ...} for ``question``; with ``samples`` > 1
        also {"votes", "samples"}: the majority answer of that many sampled runs."""
        question = question.strip()
        if not question or len(question) > self.settings.max_question_chars:
            raise errors.bad_request(
                f"question must hold 1 to {self.settings.max_question_chars} characters", param="question")
        steps = self.settings.default_max_steps if max_steps is None else max_steps
        if not 1 <= steps <= self.settings.max_steps_limit:
            raise errors.bad_request(f"max_steps must be 1 to {self.settings.max_steps_limit}", param="max_steps")
        if mode not in MODES:
            raise errors.bad_request(f"mode must be one of {', '.join(MODES)}", param="mode")
        if not 1 <= samples <= self.settings.max_samples:
            raise errors.bad_request(f"samples must be 1 to {self.settings.max_samples}", param="samples")
        if samples == 1:
            usage = Usage()
            return (await self._run(question, steps, mode, Generator(self.llm, usage), usage)).to_dict()

        async def sampled_run(seed: int, usage: Usage) -> Run:
            generate = Generator(self.llm, usage, seed=seed, temperature=self.settings.sample_temperature)
            return await self._run(question, steps, mode, generate, usage)

        limits = Limits(self.settings.sample_concurrency, self.settings.sample_timeout_s)
        return await self_consistent(sampled_run, samples, limits)

    async def _run(self, question: str, steps: int, mode: str, generate: Generator, usage: Usage) -> Run:
        if mode == "naive":
            loop: ImprovedAgent | ClassicAgent = ClassicAgent(generate, self.tools, self.settings.classic_max_tokens)
        else:
            loop = ImprovedAgent(generate, self.tools, self.settings.thought_tokens, self.settings.input_tokens,
                                 grounded_answers=self.settings.grounded_answers)
        return await loop.run(question, steps, Run(question=question, mode=mode, usage=usage))
