"""BM25 keyword search over the stored texts, with `bm25s` (sparse-matrix BM25, maintained on PyPI).

bm25s builds a static index, so the store rebuilds it lazily: adding documents marks it stale and
the next keyword search re-indexes once (about a second per 100,000 short documents).
"""

from __future__ import annotations

import numpy as np


class KeywordIndex:
    def __init__(self) -> None:
        self._retriever = None
        self._size = 0

    def build(self, texts: list[str]) -> None:
        import bm25s  # imported on use: importing the store module stays light

        self._size = len(texts)
        if not texts:
            self._retriever = None
            return
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
        self._retriever = retriever

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(row, score) of the best ``k`` rows with a positive BM25 score, best first."""
        import bm25s

        if self._retriever is None or k <= 0:
            return []
        vocab = self._retriever.vocab_dict
        tokens = [t for t in bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
                  if t in vocab]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        k = min(k, self._size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
