"""What a run returns: its steps, how it stopped, where its answer came from, and the tokens it used.

Lifecycle hooks (as Burr's post-run-step hooks): a loop records each finished step with
``await run.record(step)``, which appends it and calls every hook, so tracing and streaming see
each step as it happens without the loops knowing who listens.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Protocol

from deployments.agent.generation import Usage

STOP_FINAL_ANSWER = "final_answer"
STOP_MAX_STEPS = "max_steps"
STOP_REPEATED = "repeated_action"  # the model repeated an action and input: answered from the observations

# Where the final answer came from (`answer_source.kind`).
SOURCE_OBSERVATION = "observation"  # a span copied from the observation of step `step`
SOURCE_CALCULATION = "calculation"  # the calculator result of step `step`
SOURCE_FREE_TEXT = "free_text"  # written by the model: nothing observed fitted
_DOC_ID = re.compile(r"(?:^|\s)\[([^\]\s]+)\]\s")  # the "[doc-id] " markers a search Observation holds


@dataclass
class Step:
    thought: str
    action: str
    action_input: str
    observation: str | None = None
    recovered: bool = False  # the backend had to seed a Thought or re-prompt for this step
    latency_s: float = 0.0


class StepHook(Protocol):
    """Called after each step is recorded; ``index`` counts from 0."""

    async def after_step(self, index: int, step: Step) -> None: ...


@dataclass
class Run:
    question: str
    mode: str
    steps: list[Step] = field(default_factory=list)
    answer: str = ""
    stop_reason: str = STOP_FINAL_ANSWER
    parse_failures: int = 0
    usage: Usage = field(default_factory=Usage)
    answer_source: dict = field(default_factory=lambda: {"kind": SOURCE_FREE_TEXT, "step": None})
    hooks: list[StepHook] = field(default_factory=list)
    sources: list[str] | None = None  # the documents the answer came from; None: read from the steps

    async def record(self, step: Step) -> None:
        """Append ``step`` and tell every hook."""
        self.steps.append(step)
        for hook in self.hooks:
            await hook.after_step(len(self.steps) - 1, step)

    def finish(self, answer: str, stop_reason: str, source: str = SOURCE_FREE_TEXT, step: int | None = None) -> "Run":
        self.answer, self.stop_reason = answer, stop_reason
        self.answer_source = {"kind": source, "step": step}
        return self

    def answer_sources(self) -> list[str]:
        """The ids of the documents the answer came from: those the answer's step showed, or for a
        calculation (or a free answer) every document the run showed before it."""
        if self.sources is not None:
            return list(self.sources)
        step = self.answer_source.get("step")
        shown = self.steps if step is None or self.answer_source.get("kind") != SOURCE_OBSERVATION \
            else self.steps[step: step + 1]
        ids = [i for s in shown for i in _DOC_ID.findall(" " + (s.observation or ""))]
        return list(dict.fromkeys(ids))

    def to_dict(self) -> dict:
        return {
            "answer": self.answer,
            "answer_source": dict(self.answer_source),
            "steps": [asdict(step) for step in self.steps],
            "stop_reason": self.stop_reason,
            # a run cut at max_steps or by a guard answers from what it saw, and says so
            "stopped_early": self.stop_reason != STOP_FINAL_ANSWER,
            "sources": self.answer_sources(),
            "mode": self.mode,
            "parse_failures": self.parse_failures,
            "usage": self.usage.to_dict(),
        }
