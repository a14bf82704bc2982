"""Admission for continuous batching: which waiting requests join the running batch at the next step.

First come, first served (as vLLM's default), within two bounds: the batch size and the KV memory.
The slot cache stores every row at the width of the longest one, so its memory is
``rows x widest row``, and that product (in tokens) is what `max_tokens_in_flight` bounds; a
request's width is its prompt plus its max_tokens. Past the bound a request waits its turn; a
request too wide for the bound on its own runs when the batch is empty, so nothing waits forever.
Bounding the queue itself is Serve's job (`max_ongoing_requests`, `max_queued_requests`: past them,
503 with Retry-After). Free of torch: unit-tested alone.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Pending:
    """A request waiting to join: its job, its width (prompt + max_tokens) and whatever the engine keeps."""

    job: Any
    width: int
    extra: dict = field(default_factory=dict)


class Scheduler:
    """A thread-safe FIFO of pending requests with the admission rule."""

    def __init__(self, max_batch_size: int, max_tokens_in_flight: int) -> None:
        self.max_batch_size = max_batch_size
        self.max_tokens_in_flight = max_tokens_in_flight
        self._waiting: deque[Pending] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, pending: Pending) -> None:
        with self._lock:
            self._waiting.append(pending)

    def fits(self, widths: list[int], width: int) -> bool:
        """Can a request of ``width`` join a batch whose rows have ``widths``?"""
        if not widths:
            return True
        if len(widths) + 1 > self.max_batch_size:
            return False
        return (len(widths) + 1) * max(max(widths), width) <= self.max_tokens_in_flight

    def admit(self, widths: list[int], budget_tokens: int | None = None) -> list[Pending]:
        """Pop, in arrival order, the requests that join now; ``budget_tokens`` caps their prompt tokens
        per step (at least one joins), so a burst of prefills does not stall the running rows for long."""
        admitted: list[Pending] = []
        widths = list(widths)
        spent = 0
        with self._lock:
            while self._waiting:
                head = self._waiting[0]
                if not self.fits(widths, head.width):
                    break
                prompt = len(head.job.prompt_ids)
                if admitted and budget_tokens is not None and spent + prompt > budget_tokens:
                    break
                admitted.append(self._waiting.popleft())
                widths.append(head.width)
                spent += prompt
        return admitted

    def drop_cancelled(self) -> list[Pending]:
        """Remove and return waiting requests whose caller gave up (timeout, disconnect)."""
        with self._lock:
            gone = [p for p in self._waiting if p.job.cancelled.is_set()]
            if gone:
                self._waiting = deque(p for p in self._waiting if not p.job.cancelled.is_set())
        return gone
