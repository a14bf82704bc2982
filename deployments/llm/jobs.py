"""A generation request as the engine sees it. Free of torch, so the app imports light."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from deployments.llm.guided import Constraint

Emit = Callable[[str], None]


@dataclass
class TokenLogprob:
    """The chosen token's log-probability and the ``top`` alternatives, as (token id, logprob)."""

    token: int
    logprob: float
    top: list[tuple[int, float]] = field(default_factory=list)


@dataclass
class GenerationJob:
    """One request's prompt, parameters and, once done, its result."""

    prompt_ids: list[int]
    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] | None = None
    constraint: Constraint | None = None  # compiled per job in the replica: a grammar matcher is mutable
    ignore_eos: bool = False
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logprobs: int | None = None  # None: none kept; k: the chosen token's logprob and the top k
    emit: Emit | None = None  # receives text deltas from the generation thread
    cancelled: threading.Event = field(default_factory=threading.Event)
    text: str = ""
    finish_reason: str | None = None
    completion_tokens: int = 0
    token_logprobs: list[TokenLogprob] = field(default_factory=list)
    call_id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")  # if the answer is a tool call
