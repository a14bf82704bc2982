"""bench/agent_eval.py's grader: a number is compared as a number, a date as a date in whatever style the reply
writes it, anything else as text inside the reply."""

from __future__ import annotations

import pytest

from bench.agent_eval import dates, is_correct


@pytest.mark.parametrize("reply", [
    "2025-07-17", "17 July 2025", "July 17, 2025", "Jul 17 2025", "17-Jul-2025", "the 17th July 2025",
    "17/07/2025", "07/17/2025", "17.07.2025", "2025/07/17", "It was signed on Thursday, July 17th, 2025.",
])
def test_a_date_is_right_in_any_common_style(reply: str) -> None:
    assert is_correct(reply, "2025-07-17")


@pytest.mark.parametrize("reply", [
    "2025-07-18", "17 June 2025", "July 17, 2024", "17/08/2025", "17 Julember 2025", "2025", "July 2025", "",
])
def test_another_date_or_no_date_is_wrong(reply: str) -> None:
    assert not is_correct(reply, "2025-07-17")


def test_a_day_month_pair_gives_both_readings_and_no_impossible_one() -> None:
    assert dates("04/12/2025") == {(2025, 12, 4), (2025, 4, 12)}
    assert dates("25/12/2025") == {(2025, 12, 25)}  # there is no month 25


@pytest.mark.parametrize(("reply", "expected", "right"), [
    ("1,234 units", 1234, True), ("1234.0", "1234", True), ("about 1235", 1234, False),
    ("It is libfoo-dev.", "libfoo-dev", True), ("It is libbar.", "libfoo", False),
])
def test_numbers_and_text_keep_their_rules(reply: str, expected: str | int, right: bool) -> None:
    assert is_correct(reply, expected) is right
