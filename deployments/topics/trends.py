"""Stage 3, trends: documents per topic per window, and a status per topic.

The default method is `changepoint.ChangepointTrendDetector` (a change in share anywhere in the
range; `make_detector` picks by the settings). Kept as `trend_method: zscore`: a z-score of the
recent windows' mean count against the trailing baseline (the windows before them), z = (mean_recent - mean_base) / sqrt(max(var_base, mean_base, 0.5) / n_recent).
The variance floor is the Poisson one (counts of rare events have variance ~ their mean), so a
topic with a flat baseline does not turn "rising" on one extra document. Chosen over Kleinberg's
burst detection because (1) it marks fading as well as rising, which is what keeps funding even;
(2) the score is signed and comparable across topics; (3) it works on a dozen monthly counts,
where Kleinberg's two-state automaton needs per-event gaps and a tuned transition cost.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from deployments import errors
from deployments.topics.base import Trend, TrendDetector

if TYPE_CHECKING:
    from deployments.topics.settings import TopicSettings

WINDOWS = ("day", "week", "month")


def window_key(when: dt.datetime, window: str) -> str:
    """The window a timestamp falls in: '2025-03-14', '2025-W11' (ISO week) or '2025-03'."""
    if window == "day":
        return when.strftime("%Y-%m-%d")
    if window == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    if window == "month":
        return when.strftime("%Y-%m")
    raise ValueError(f"window must be one of {WINDOWS}")


MAX_WINDOWS = 5000  # 13 years of days, 96 of weeks, 416 of months


def window_count(first: dt.datetime, last: dt.datetime, window: str) -> int:
    """How many windows `first`..`last` spans, computed without walking them."""
    if window == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    start, end = first.date(), last.date()
    if window == "week":
        start, end = start - dt.timedelta(days=start.weekday()), end - dt.timedelta(days=end.weekday())
        return (end - start).days // 7 + 1
    return (end - start).days + 1


def window_range(first: dt.datetime, last: dt.datetime, window: str) -> list[str]:
    """Every window from `first` to `last`, empty ones included, so a gap counts as zero.

    A span of more than MAX_WINDOWS windows is a 400: timestamps from year 1 to 9999 by day would
    otherwise be 3.6 million windows of work on the replica's event loop (found by schemathesis).
    """
    count = window_count(first, last, window)
    if count > MAX_WINDOWS:
        raise errors.bad_request(
            f"the timestamps span {count} {window} windows ({first.date()} to {last.date()}); at most "
            f"{MAX_WINDOWS}: use a coarser window or a shorter period", param="window")
    keys: list[str] = []
    day = first.date()
    step = dt.timedelta(days=1 if window == "day" else 7 if window == "week" else 28)
    while day <= last.date():
        key = window_key(dt.datetime.combine(day, dt.time()), window)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += step
    last_key = window_key(last, window)
    if keys[-1] != last_key:  # a 7- or 28-day step can pass the last window's start without landing in it
        keys.append(last_key)
    return keys


class ZScoreTrendDetector(TrendDetector):
    method = "z-score of the recent windows against the trailing baseline (Poisson variance floor)"

    def __init__(self, recent_windows: int | None = None, z_threshold: float = 2.0, min_new_count: int = 2) -> None:
        self.recent_windows = recent_windows
        self.z_threshold = z_threshold
        self.min_new_count = min_new_count

    def split(self, n: int) -> int:
        """How many of `n` windows are "recent": the setting, else a quarter (at least one)."""
        recent = self.recent_windows if self.recent_windows is not None else max(1, n // 4)
        return min(recent, n - 1)

    def detect(self, counts: list[int], totals: list[int] | None = None) -> Trend:
        n = len(counts)
        if n < 2:
            return Trend("steady", 0.0, list(counts))
        r = self.split(n)
        base, recent = counts[: n - r], counts[n - r :]
        mean_base = sum(base) / len(base)
        mean_recent = sum(recent) / len(recent)
        var_base = sum((c - mean_base) ** 2 for c in base) / len(base)
        z = (mean_recent - mean_base) / math.sqrt(max(var_base, mean_base, 0.5) / len(recent))
        if sum(base) == 0 and sum(recent) >= self.min_new_count:
            status = "new"
        elif z >= self.z_threshold:
            status = "rising"
        elif z <= -self.z_threshold:
            status = "fading"
        else:
            status = "steady"
        # the normal two-sided p-value of z; the change is where the recent windows start
        return Trend(status, round(z, 3), list(counts), change=n - r,
                     p_value=float(f"{math.erfc(abs(z) / math.sqrt(2)):.3g}"))


def trend_table(timestamps: list[dt.datetime | None], groups: dict[str, list[int]], window: str,
                detector: TrendDetector) -> tuple[list[str], dict[str, Trend]]:
    """Windows (oldest first) and each group's trend; `groups` maps a topic to document indices.

    Documents without a timestamp count towards topics but not towards trends.
    """
    windows, index = window_indices(timestamps, window)
    if not windows:
        return [], {}
    totals = [0] * len(windows)
    for i in index:
        if i is not None:
            totals[i] += 1
    trends: dict[str, Trend] = {}
    for topic, docs in groups.items():
        counts = [0] * len(windows)
        for d in docs:
            if index[d] is not None:
                counts[index[d]] += 1
        trends[topic] = detector.detect(counts, totals)
    return windows, trends


def window_indices(timestamps: list[dt.datetime | None], window: str) -> tuple[list[str], list[int | None]]:
    """The corpus's windows (oldest first) and each document's window index (None when undated)."""
    dated = [t for t in timestamps if t is not None]
    if not dated:
        return [], [None] * len(timestamps)
    windows = window_range(min(dated), max(dated), window)
    position = {key: i for i, key in enumerate(windows)}
    return windows, [None if t is None else position[window_key(t, window)] for t in timestamps]


def make_detector(method: str = "changepoint", *, alpha: float = 0.05, recent_windows: int | None = None,
                  z_threshold: float = 2.0, min_new_count: int = 2) -> TrendDetector:
    """The trend detector the settings name: `changepoint` (default) or `zscore`."""
    if method == "zscore":
        return ZScoreTrendDetector(recent_windows, z_threshold, min_new_count)
    from deployments.topics.changepoint import ChangepointTrendDetector

    return ChangepointTrendDetector(alpha, min_new_count)


def settings_detector(settings: TopicSettings) -> TrendDetector:
    """The trend detector `settings` name: the deployment's and the benchmarks' one mapping."""
    return make_detector(settings.trend_method, alpha=settings.trend_alpha, recent_windows=settings.recent_windows,
                         z_threshold=settings.z_threshold, min_new_count=settings.min_new_count)
