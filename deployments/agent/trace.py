"""What a run returns: its steps, how it stopped, and the tokens it used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from deployments.agent.generation import Usage

STOP_FINAL_ANSWER = "final_answer"
STOP_MAX_STEPS = "max_steps"
STOP_REPEATED = "repeated_action"  # the model repeated an action and input: answered from the observations


@dataclass
class Step:
    thought: str
    action: str
    action_input: str
    observation: str | None = None
    recovered: bool = False  # the backend had to seed a Thought or re-prompt for this step
    latency_s: float = 0.0


@dataclass
class Run:
    question: str
    mode: str
    steps: list[Step] = field(default_factory=list)
    answer: str = ""
    stop_reason: str = STOP_FINAL_ANSWER
    parse_failures: int = 0
    usage: Usage = field(default_factory=Usage)

    def to_dict(self) -> dict:
        return {
            "answer": self.answer,
            "steps": [asdict(step) for step in self.steps],
            "stop_reason": self.stop_reason,
            "mode": self.mode,
            "parse_failures": self.parse_failures,
            "usage": self.usage.to_dict(),
        }
