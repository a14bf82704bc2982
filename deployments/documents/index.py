"""The in-memory document index: texts, unit vectors, and a BM25 index, with replace-by-id.

Plain Python and numpy, no Ray: the DocumentStore replica wraps it and supplies the vectors, and
unit tests drive it with hand-made vectors. Semantic search is one matrix-vector product over
unit vectors (cosine = dot product): at 100,000 x 384 float32 that is ~150 MB and a few ms, so
no approximate-nearest-neighbour library is needed at this scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deployments.documents.fusion import reciprocal_rank_fusion
from deployments.documents.keyword import KeywordIndex


class DocumentIndex:
    def __init__(self, dimension: int | None = None, rrf_k: int = 60, hybrid_depth: int = 50) -> None:
        self.rrf_k = rrf_k
        self.hybrid_depth = hybrid_depth
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metadata: list[dict[str, Any]] = []
        self.rows: dict[str, int] = {}
        self._vectors = np.zeros((0, dimension or 0), dtype=np.float32)
        self._keyword = KeywordIndex()
        self._keyword_stale = False

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, documents: list[dict[str, Any]], vectors: np.ndarray) -> int:
        """Add or replace (same id) documents; returns how many were given. Later duplicates win."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(documents), -1)
        if len(self.ids) == 0 and self._vectors.shape[1] != vectors.shape[1]:
            self._vectors = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        new_rows: list[np.ndarray] = []
        for doc, vector in zip(documents, vectors):
            row = self.rows.get(doc["id"])
            if row is None:
                self.rows[doc["id"]] = len(self.ids)
                self.ids.append(doc["id"])
                self.texts.append(doc["text"])
                self.metadata.append(dict(doc.get("metadata") or {}))
                new_rows.append(vector)
            elif row < len(self._vectors):
                self.texts[row], self.metadata[row] = doc["text"], dict(doc.get("metadata") or {})
                self._vectors[row] = vector
            else:  # replaced within this same batch: still waiting in new_rows
                self.texts[row], self.metadata[row] = doc["text"], dict(doc.get("metadata") or {})
                new_rows[row - len(self._vectors)] = vector
        if new_rows:
            self._vectors = np.vstack([self._vectors, np.stack(new_rows)])
        self._keyword_stale = True
        return len(documents)

    def get(self, doc_id: str) -> dict[str, Any] | None:
        row = self.rows.get(doc_id)
        return None if row is None else self._doc(row)

    # --- search ----------------------------------------------------------------------------------
    def semantic(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, cosine) of the ``k`` nearest rows, best first."""
        if not self.ids or k <= 0:
            return []
        scores = self._vectors @ np.asarray(query_vector, dtype=np.float32).ravel()
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]

    def keyword(self, query: str, k: int) -> list[tuple[int, float]]:
        if self._keyword_stale:
            self._keyword.build(self.texts)
            self._keyword_stale = False
        return self._keyword.search(query, k)

    def hybrid(self, query: str, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Both rankings, fused by reciprocal rank fusion; the score is the fused RRF score.

        The in-process form (benchmarks, tests); the replica runs the two rankings as parallel
        branches and calls `fuse` itself.
        """
        depth = self.depth(k)
        return self.fuse([self.semantic(query_vector, depth), self.keyword(query, depth)], k)

    def depth(self, k: int) -> int:
        """How many results each ranking contributes to a hybrid search for ``k``."""
        return max(k, self.hybrid_depth)

    def fuse(self, rankings: list[list[tuple[int, float]]], k: int) -> list[tuple[int, float]]:
        """Reciprocal rank fusion of (row, score) rankings; only the ranks count."""
        return reciprocal_rank_fusion([[row for row, _ in ranking] for ranking in rankings], self.rrf_k)[:k]

    def results(self, hits: list[tuple[int, float]]) -> list[dict[str, Any]]:
        return [{"id": self.ids[row], "text": self.texts[row], "score": round(score, 6)} for row, score in hits]

    def _doc(self, row: int) -> dict[str, Any]:
        return {"id": self.ids[row], "text": self.texts[row], "metadata": self.metadata[row]}
