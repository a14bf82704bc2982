"""Stop strings over streamed text: cut before the first stop, and never stream a partial one.

A stop string can straddle tokens, so text that could still turn into a stop string is held back
until the next token decides it.
"""

from __future__ import annotations


class StopMatcher:
    def __init__(self, stops: list[str] | None) -> None:
        self.stops = [s for s in (stops or []) if s]

    def find(self, text: str) -> int | None:
        """Index where the earliest stop string starts in ``text``, or None."""
        hits = [i for i in (text.find(s) for s in self.stops) if i >= 0]
        return min(hits) if hits else None

    def safe_length(self, text: str) -> int:
        """How much of ``text`` can be emitted: all of it but a tail that may begin a stop string."""
        hold = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(text)), 0, -1):
                if text.endswith(stop[:size]):
                    hold = max(hold, size)
                    break
        return len(text) - hold
