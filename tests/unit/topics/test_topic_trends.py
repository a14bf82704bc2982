import datetime as dt

from deployments.topics.trends import ZScoreTrendDetector, trend_table, window_key, window_range


def test_planted_rise_is_found():
    trend = ZScoreTrendDetector().detect([1, 0, 0, 1, 0, 1, 0, 1, 2, 3, 3, 4])
    # baseline mean 6/9, var 2/9 -> floor 0.5 > var? mean 0.667 wins; z = (10/3 - 2/3) / sqrt(0.667/3)
    assert trend.status == "rising"
    assert abs(trend.score - (10 / 3 - 2 / 3) / ((2 / 3) / 3) ** 0.5) < 1e-3


def test_flat_series_is_steady_with_score_zero():
    trend = ZScoreTrendDetector().detect([3] * 12)
    assert (trend.status, trend.score) == ("steady", 0.0)


def test_planted_fade_and_a_new_topic():
    assert ZScoreTrendDetector().detect([3, 3, 3, 2, 2, 1, 1, 1, 0, 0, 0, 0]).status == "fading"
    assert ZScoreTrendDetector().detect([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2]).status == "new"
    assert ZScoreTrendDetector().detect([5]).status == "steady"


def test_windows_cover_gaps_and_use_iso_weeks():
    jan, mar = dt.datetime(2025, 1, 30), dt.datetime(2025, 3, 2)
    assert window_range(jan, mar, "month") == ["2025-01", "2025-02", "2025-03"]
    assert window_key(dt.datetime(2025, 1, 1), "week") == "2025-W01"
    assert window_key(dt.datetime(2024, 12, 30), "week") == "2025-W01"
    assert window_range(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 3), "day") == [
        "2025-01-01", "2025-01-02", "2025-01-03"]


def test_trend_table_counts_documents_per_window_and_skips_undated_ones():
    stamps = [dt.datetime(2025, 1, 5), dt.datetime(2025, 3, 5), None, dt.datetime(2025, 3, 9)]
    windows, trends = trend_table(stamps, {"a": [0, 1, 2, 3]}, "month", ZScoreTrendDetector())
    assert windows == ["2025-01", "2025-02", "2025-03"]
    assert trends["a"].counts == [1, 0, 2]


def test_window_ranges_are_walked_by_window_and_a_huge_span_is_a_400():
    import datetime as dt

    import pytest

    from deployments.errors import ServiceError
    from deployments.topics.trends import MAX_WINDOWS, window_range

    first, last = dt.datetime(2024, 12, 30, 23), dt.datetime(2025, 3, 2, 1)
    assert window_range(first, last, "month") == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert window_range(first, last, "week")[:2] == ["2025-W01", "2025-W02"] and window_range(first, last, "week")[-1] == "2025-W09"
    assert len(window_range(first, last, "day")) == 63
    assert len(window_range(dt.datetime(1, 1, 1), dt.datetime(400, 1, 1), "month")) == 399 * 12 + 1 <= MAX_WINDOWS
    with pytest.raises(ServiceError) as raised:
        window_range(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), "day")
    assert raised.value.status == 400 and "3652059 day windows" in raised.value.message


def test_charts_drawn_in_parallel_threads_equal_the_ones_drawn_alone():
    """The replica draws charts in worker threads: no figure state may leak between them."""
    from concurrent.futures import ThreadPoolExecutor

    from deployments.topics.chart import render_chart

    def trends(n: int) -> dict:
        return {"windows": [f"2025-{m:02d}" for m in range(1, 13)],
                "topics": [{"label": f"topic {n}-{t}", "status": "rising" if t == n % 3 else "steady",
                            "score": float(t), "counts": [(m * (t + n)) % 5 for m in range(12)]} for t in range(3)]}

    alone = [render_chart(trends(n)) for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(render_chart, [trends(n) for n in range(4)] * 2))
    assert together == alone * 2
    assert len(set(alone)) == 4


def test_rising_and_new_topics_are_warm_fading_ones_dashed_cool_and_steady_ones_grey():
    from deployments.topics.chart import line_styles

    styles = line_styles(["rising", "fading", "new", "steady", "fading"])
    assert [s["color"] for s in styles] == ["tab:red", "tab:blue", "tab:orange", "0.6", "tab:cyan"]
    assert [s["linestyle"] for s in styles] == ["-", "--", "-", "-", "--"]
    assert [s["linewidth"] for s in styles] == [3, 3, 3, 1, 3]
