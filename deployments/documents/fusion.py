"""Reciprocal rank fusion: merges rankings whose scores are not comparable (BM25 vs cosine).

Hand-written: it is five lines, and no library we already depend on has it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Hashable, Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> list[tuple[Hashable, float]]:
    """Each item scores sum(1 / (k + rank)) over the rankings it appears in (rank from 1); best first.

    Only ranks matter, so a BM25 score of 12.3 and a cosine of 0.8 need no calibration.
    """
    scores: dict[Hashable, float] = defaultdict(float)
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] += 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], str(pair[0])))
