"""A result asked rounded (`rounding`): the clause is set apart from the arithmetic, and its places round the
result. Made-up wordings, none from an agent set."""

from __future__ import annotations

import pytest

from deployments.agent.language import load_language
from deployments.agent.rounding import rounded, rounding
from tests.unit.agent.test_resolve import resolve


@pytest.mark.parametrize("text,plain,places", [
    ("What is 355 divided by 113, rounded to four decimals?", "What is 355 divided by 113?", 4),
    ("Divide 22 by 7 and round to 3 decimal places", "Divide 22 by 7", 3),
    ("7 over 3, correct to 1 dp", "7 over 3", 1),
    ("what is 7 / 3, round it to the nearest whole number?", "what is 7 / 3?", 0),
    ("9 of 12 as a decimal", "9 of 12 as a decimal", None),  # no rounding asked
    ("Which pump was rounded up in 2019?", "Which pump was rounded up in 2019?", None),  # "rounded" names no places
])
def test_the_rounding_clause_is_set_apart_with_its_places(text: str, plain: str, places: int | None) -> None:
    assert rounding(text, load_language().arithmetic) == (plain, places)


def test_rounded_rounds_only_where_asked() -> None:
    assert rounded(54.380053, 2) == 54.38 and rounded(2.5001, 0) == 3 and isinstance(rounded(2.6, 0), int)
    assert rounded(1 / 3, None) == 1 / 3


@pytest.mark.parametrize("text,answer", [
    ("What is 355 divided by 113, rounded to four decimals?", "3.1416"),
    ("We spread 1,000 litres evenly over 7 barrels. How much per barrel, rounded to 1 decimal place?", "142.9"),
])
def test_the_resolver_rounds_a_computed_result_as_asked(text: str, answer: str) -> None:
    result = resolve(text)
    assert result is not None and result.answer == answer and result.source == "calculation"
