"""Stage 3, trends (default method): the one change in a topic's share that best splits its history.

Why not the recent-windows z-score (`ZScoreTrendDetector`): it compares the last quarter with all
earlier windows, so a topic that faded away early (all of its documents in the first quarter) has a
low, high-variance baseline and reads as "steady". A rise or a fade can happen anywhere in the range.

Method: split the windows into an early part and a late part at each quarter boundary (after the first
quarter, the half, the third quarter: `parts` - 1 splits, every split when there are fewer windows),
and compare the topic's share of the documents in the late part with its share in the early part. Conditional on the
topic's C documents, under "no change" the number that fall late is Binomial(C, q), q being the late
part's share of all documents (the exposure; equal-sized windows when the totals are unknown). That
is the exact test for two Poisson rates (and, for a topic that is a small part of the corpus, the
two-proportion test), with no normal approximation on the small counts a topic has per window. The
split with the smallest two-sided p-value is the change (a one-step binary segmentation on a coarse
grid); the p-value is multiplied by the number of splits tried (Bonferroni), so trying several splits
does not turn noise into trends. Quarters rather than every window: Bonferroni over all n-1 splits of
a year of months is so conservative that a topic going from 1 in 20 documents to 3 in 5 in the last
quarter, on a small corpus, reads as steady; the quarter grid still places a change early, midway or
late, which is what the question "what rose, what faded" needs. Below `alpha` the topic:
  - is "new" when it has no document before the change and at least `min_new_count` after it;
  - is "rising" when its late share is higher;
  - is "fading" when its late share is lower (a topic present early and absent late is the clearest case).
Otherwise it is "steady". The score is the signed z of the chosen split, (late - C q) / sqrt(C q (1 - q)),
for ordering and charts; the status comes from the exact test.

Hand-written: scipy gives the binomial test; no maintained library offers a single-change share test
over a dozen windows (ruptures segments signals by cost, without a count test or p-values).
"""

from __future__ import annotations

import math

from scipy.stats import binomtest

from deployments.topics.base import Trend, TrendDetector


class ChangepointTrendDetector(TrendDetector):
    method = "share change at the best quarter split (exact binomial test of late vs early share, Bonferroni)"

    def __init__(self, alpha: float = 0.05, min_new_count: int = 2, parts: int = 4) -> None:
        self.alpha = alpha
        self.min_new_count = min_new_count
        self.parts = parts

    def with_alpha(self, alpha: float) -> "ChangepointTrendDetector":
        """The same test at another significance level (a Bonferroni share of this one's)."""
        return ChangepointTrendDetector(alpha, self.min_new_count, self.parts)

    def splits(self, n: int) -> list[int]:
        """Where the late part may start: the `parts` boundaries (every window when there are fewer)."""
        if n <= self.parts:
            return list(range(1, n))
        return sorted({max(1, min(n - 1, round(n * i / self.parts))) for i in range(1, self.parts)})

    def detect(self, counts: list[int], totals: list[int] | None = None) -> Trend:
        n = len(counts)
        total = sum(counts)
        if n < 2 or total == 0:
            return Trend("steady", 0.0, list(counts))
        exposure = list(totals) if totals is not None else [1] * n
        exposure = [max(e, c) for e, c in zip(exposure, counts)]  # a window holds at least its topic's documents
        all_exposure = sum(exposure)
        best: tuple[float, float, int] | None = None  # (p, z, k)
        splits = self.splits(n)
        for k in splits:
            late_count, q = sum(counts[k:]), sum(exposure[k:]) / all_exposure
            if q <= 0.0 or q >= 1.0:
                continue
            p = binomtest(late_count, total, q).pvalue
            z = (late_count - total * q) / math.sqrt(total * q * (1 - q))
            if best is None or (p, -abs(z)) < (best[0], -abs(best[1])):
                best = (p, z, k)
        if best is None:
            return Trend("steady", 0.0, list(counts))
        p, z, k = best
        early = sum(counts[:k])
        p = min(1.0, p * len(splits))  # Bonferroni over the splits tried
        if p >= self.alpha:
            status = "steady"
        elif z > 0:
            status = "new" if early == 0 and total - early >= self.min_new_count else "rising"
        else:
            status = "fading"
        return Trend(status, round(z, 3), list(counts), change=k, p_value=float(f"{p:.3g}"))
