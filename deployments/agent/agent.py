"""The Agent replica: answers a question with the ReAct loop over the document tools.

`mode="improved"` (default) runs our loop; `mode="naive"` runs the classic LangChain one on the
same model and tools, so the evaluation can compare them through the same route. `samples=1`
(default) is one greedy run; `samples=n` runs n sampled runs at once and votes
(`self_consistency.py`). `ask_stream` is the same run as events, one per step as it finishes
(a step hook feeds a queue), then the whole reply.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any, AsyncIterator

from deployments import errors
from deployments.agent.classic import ClassicAgent
from deployments.agent.generation import Generator, Usage
from deployments.agent.guards import build_guards
from deployments.agent.plan import plan_for
from deployments.agent.react import ImprovedAgent
from deployments.agent.resolve import resolver_for
from deployments.agent.self_consistency import self_consistent
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import Documents, HandleDocuments, build_tools
from deployments.agent.trace import Run, Step, StepHook
from deployments.llm.backend import make_llm_client
from deployments.llm.client import LLMClient
from deployments.parallel import Limits

MODES = ("improved", "naive")


class _QueueHook:
    """A step hook that hands each finished step to the stream."""

    def __init__(self, queue: asyncio.Queue) -> None:
        self.queue = queue

    async def after_step(self, index: int, step: Step) -> None:
        await self.queue.put({"type": "step", "index": index, "step": asdict(step)})


class Agent:
    def __init__(self, llm: Any, documents: Any, settings: dict | None = None) -> None:
        self.settings = AgentSettings(**(settings or {}))
        self.llm: LLMClient = make_llm_client(self.settings.llm_backend, llm)
        self.documents: Documents = HandleDocuments(documents)
        self.tools = build_tools(self.documents, search_k=self.settings.search_k)
        self.resolver = resolver_for(self.tools, self.documents, self.settings)

    async def ask(self, question: str, max_steps: int | None = None, mode: str = "improved",
                  samples: int = 1) -> dict:
        """{"answer", "answer_source", "steps", "stop_reason", "usage", ...} for ``question``; with
        ``samples`` > 1 also {"votes", "samples"}: the majority answer of that many sampled runs."""
        question, steps = self._validated(question, max_steps, mode, samples)
        if samples == 1:
            usage = Usage()
            return (await self._run(question, steps, mode, Generator(self.llm, usage), usage)).to_dict()

        async def sampled_run(seed: int, usage: Usage) -> Run:
            generate = Generator(self.llm, usage, seed=seed, temperature=self.settings.sample_temperature)
            return await self._run(question, steps, mode, generate, usage)

        limits = Limits(self.settings.sample_concurrency, self.settings.sample_timeout_s)
        return await self_consistent(sampled_run, samples, limits)

    async def ask_stream(self, question: str, max_steps: int | None = None, mode: str = "improved",
                         samples: int = 1) -> AsyncIterator[dict]:
        """{"type": "step", "index", "step"} per step as it finishes, then {"type": "answer", ...the
        reply of `ask`}. With ``samples`` > 1 the runs are interleaved, so only the answer is sent.
        A bad request raises before the first event (the route then answers 4xx, not a stream)."""
        question, steps = self._validated(question, max_steps, mode, samples)
        if samples > 1:
            yield {"type": "answer", **(await self.ask(question, steps, mode, samples))}
            return
        queue: asyncio.Queue = asyncio.Queue()
        usage = Usage()
        task = asyncio.create_task(
            self._run(question, steps, mode, Generator(self.llm, usage), usage, hooks=[_QueueHook(queue)]))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
            yield {"type": "answer", **task.result().to_dict()}  # re-raises the run's error, if any
        finally:
            task.cancel()  # the client went away: stop spending model time

    def _validated(self, question: str, max_steps: int | None, mode: str, samples: int) -> tuple[str, int]:
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
        return question, steps

    async def _run(self, question: str, steps: int, mode: str, generate: Generator, usage: Usage,
                   hooks: list[StepHook] | None = None) -> Run:
        if mode == "naive":
            loop: ImprovedAgent | ClassicAgent = ClassicAgent(generate, self.tools, self.settings.classic_max_tokens)
        else:
            loop = ImprovedAgent(generate, self.tools, build_guards(self.settings), self.settings,
                                 plan_for(self.tools, self.documents, self.settings), self.resolver)
        run = Run(question=question, mode=mode, usage=usage, hooks=list(hooks or []))
        return await loop.run(question, steps, run)
