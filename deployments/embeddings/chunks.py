"""Embedding a corpus-sized list a chunk per Embedder call.

Why: one call with every text would travel to the Embedder replica as one message and hold it
for the whole corpus; chunks keep messages bounded and let other callers' requests interleave.
Kept apart from `embedder.py` so callers import it without the model's dependencies.
"""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable, Sequence, TypeVar

import numpy as np

T = TypeVar("T")
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]  # texts -> vectors (a handle's `embed.remote` too)


async def embedded_chunks(embed: Embed, items: Sequence[T], text: Callable[[T], str],
                          size: int) -> AsyncIterator[tuple[list[T], np.ndarray]]:
    """Each chunk of at most ``size`` items with the float32 vectors of their ``text``, in order."""
    for start in range(0, len(items), size):
        chunk = list(items[start:start + size])
        yield chunk, np.asarray(await embed([text(item) for item in chunk]), dtype=np.float32)
