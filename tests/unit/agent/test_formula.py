"""A formula stated over a story's quantities by their nouns."""

import pytest

from deployments.agent.calculator import evaluate
from deployments.agent.formula import read_formula
from deployments.agent.language import load_language


@pytest.mark.parametrize("text,value", [
    ("Open rate for 1,240 opens out of 8,000 emails (opens divided by emails, times 100)?", 15.5),
    ("We had 900 signups and 60 cancellations. Churn is cancellations divided by signups.", 60 / 900),
    ("Margin for 5,000 revenue and 3,500 cost: revenue minus cost, divided by revenue.", 0.3),
])
def test_a_formula_over_the_nouns_of_the_numbers_is_read(text: str, value: float) -> None:
    expression = read_formula(text, load_language())
    assert expression is not None, text
    assert evaluate(expression) == pytest.approx(value), (text, expression)


@pytest.mark.parametrize("text", [
    "A shelf holds 80 jars and 26 jars were sold. How many jars remain?",  # one noun, said after its numbers
    "She ran 3 times a week for 4 weeks. How many runs?",  # "times" is an operator word, no noun
    "Tom has 15 marbles and Ann has 23 stickers.",  # no part names two nouns
])
def test_no_formula_where_no_part_names_two_quantities(text: str) -> None:
    assert read_formula(text, load_language()) is None
