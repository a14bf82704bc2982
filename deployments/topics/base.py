"""The small base classes of the pipeline's stages, BERTopic-style: each stage is passed to
`TopicPipeline` through its constructor (None builds the default), so tests and experiments can
swap one stage without touching the others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class TextEmbedder(Protocol):
    """Unit-length sentence embeddings; the Embedder deployment, a local model or a test fake."""

    async def embed(self, texts: list[str]) -> list[list[float]]: ...


class HandleEmbedder:
    """`TextEmbedder` over the Embedder deployment handle."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def embed(self, texts: list[str]) -> list[list[float]]:
        return await self.handle.embed.remote(texts)


@dataclass
class LabelRun:
    """Labels per text plus the texts whose labelling failed, so a failure is reported, not lost.

    A failed text has ``[]`` in ``labels`` and an entry ``{"index", "message"}`` in ``errors``.
    """

    labels: list[list[str]]
    errors: list[dict] = field(default_factory=list)

    def named_errors(self, documents: list[dict]) -> list[dict]:
        """`errors` with each failed document's id: what answers show as `labelling_errors`."""
        return [{"id": documents[e["index"]]["id"], **e} for e in self.errors]


class Labeler(ABC):
    """Stage 1: up to k short topic labels per document."""

    @abstractmethod
    async def label(self, texts: list[str]) -> list[list[str]]:
        """One list of labels per text, most important first (possibly empty)."""

    async def label_run(self, texts: list[str]) -> LabelRun:
        """Like `label`, keeping partial failures apart; a labeller that cannot fail partly needs nothing more."""
        return LabelRun(await self.label(texts))


@dataclass
class Topic:
    """A canonical topic: its name, the raw labels merged into it, and its centroid."""

    label: str
    members: list[str]
    centroid: np.ndarray
    taxonomy: bool = False  # True when the name is a category of the caller's taxonomy


@dataclass
class Canonical:
    """What canonicalization returns: the topics and, per raw label, the index of its topic."""

    topics: list[Topic]
    topic_of: dict[str, int] = field(default_factory=dict)


class Canonicalizer(ABC):
    """Stage 2: merges near-duplicate labels into canonical topics (optionally onto a taxonomy)."""

    @abstractmethod
    def canonicalize(
        self,
        labels: list[str],
        counts: list[int],
        vectors: np.ndarray,
        taxonomy: list[str] | None = None,
        taxonomy_vectors: np.ndarray | None = None,
    ) -> Canonical:
        """`labels` are distinct normalised labels with their document counts and unit vectors."""


@dataclass
class Trend:
    status: str  # rising | fading | new | steady
    score: float
    counts: list[int]
    change: int | None = None  # index of the first window after the change, when the method finds one
    p_value: float | None = None  # the test's p-value (corrected for the splits tried), when the method has one


class TrendDetector(ABC):
    """Stage 3: marks one topic's count series (one count per window, oldest first); `totals` are the
    corpus's documents per window, when known, so a method can judge the topic's share."""

    method: str = "unnamed"

    @abstractmethod
    def detect(self, counts: list[int], totals: list[int] | None = None) -> Trend: ...
