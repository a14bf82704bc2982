"""A generation request as the engine sees it. Free of torch, so the app imports light."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

Emit = Callable[[str], None]


@dataclass
class GenerationJob:
    """One request's prompt, parameters and, once done, its result."""

    prompt_ids: list[int]
    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] | None = None
    choices: list[str] | None = None
    ignore_eos: bool = False
    emit: Emit | None = None  # receives text deltas from the generation thread
    cancelled: threading.Event = field(default_factory=threading.Event)
    text: str = ""
    finish_reason: str | None = None
    completion_tokens: int = 0
