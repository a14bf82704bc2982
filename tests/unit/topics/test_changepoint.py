"""The default trend method finds a rise and a fade wherever in the range they happen (planted series)."""

import datetime as dt
import random

from deployments.topics.changepoint import ChangepointTrendDetector
from deployments.topics.trends import ZScoreTrendDetector, make_detector, trend_table

TOTALS = [20] * 12  # documents per month in the corpus


def test_a_fade_in_the_first_quarter_is_found_where_the_recent_z_score_misses_it():
    faded = [3, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # every document in the first quarter
    assert ZScoreTrendDetector().detect(faded).status == "steady"  # the bug of the issue
    trend = ChangepointTrendDetector().detect(faded, TOTALS)
    assert (trend.status, trend.change) == ("fading", 3) and trend.score < 0


def test_a_rise_in_the_middle_and_a_new_topic_at_the_end():
    rose = [1, 0, 1, 0, 1, 4, 4, 5, 4, 5, 4, 4]
    trend = ChangepointTrendDetector().detect(rose, TOTALS)
    assert (trend.status, trend.change) == ("rising", 6) and trend.score > 0  # the half nearest the change
    new = ChangepointTrendDetector().detect([0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 4], TOTALS)
    assert (new.status, new.change) == ("new", 9)
    assert ChangepointTrendDetector().splits(12) == [3, 6, 9] and ChangepointTrendDetector().splits(3) == [1, 2]


def test_flat_and_noisy_series_stay_steady():
    assert ChangepointTrendDetector().detect([3] * 12, TOTALS).status == "steady"
    assert ChangepointTrendDetector().detect([2, 1, 3, 2, 2, 1, 3, 2, 1, 2, 3, 2], TOTALS).status == "steady"
    assert ChangepointTrendDetector().detect([0] * 12, TOTALS).status == "steady"
    assert ChangepointTrendDetector().detect([5], [5]).status == "steady"
    one = ChangepointTrendDetector().detect([1, 0, 0, 0], [4, 4, 4, 4])
    assert one.status == "steady"  # one document proves nothing


def test_the_share_not_the_count_decides():
    # the topic's count doubles, but so does the corpus: its share is flat
    counts = [1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4]
    assert ChangepointTrendDetector().detect(counts, [10] * 6 + [40] * 6).status == "steady"
    assert ChangepointTrendDetector().detect(counts, TOTALS).status == "rising"


def test_few_false_trends_on_random_steady_topics():
    rng = random.Random(7)
    detector = ChangepointTrendDetector()
    marked = 0
    for _ in range(200):
        counts = [sum(rng.random() < 0.15 for _ in range(20)) for _ in range(12)]
        marked += detector.detect(counts, TOTALS).status != "steady"
    assert marked <= 10  # alpha 0.05 after Bonferroni: at most about 10 in 200 expected


def test_trend_table_passes_the_documents_per_window_and_the_settings_pick_the_method():
    stamps = [dt.datetime(2025, m, 1) for m in (1, 1, 1, 1, 2, 3, 3, 3, 3, 3)]
    windows, trends = trend_table(stamps, {"early": [0, 1, 2, 3], "late": [5, 6, 7, 8, 9]}, "month",
                                  ChangepointTrendDetector(alpha=0.2))
    assert windows == ["2025-01", "2025-02", "2025-03"]
    assert trends["early"].status == "fading" and trends["late"].status == "new"
    assert isinstance(make_detector("zscore"), ZScoreTrendDetector)
    assert isinstance(make_detector(), ChangepointTrendDetector)
