"""The choice lists ("grammars") the improved loop decodes over: each only holds things that exist."""

from __future__ import annotations

import re

from deployments.agent.calculator import evaluate
from deployments.agent.choices import answer_candidates, expressions, numbers, observation_text, spans
from deployments.agent.tools import CalculatorTool, SearchTool
from tests.unit.fakes import FakeDocuments

OBSERVATION = "[deb-libcairo2] libcairo2: Cairo 2D vector graphics library. Version 1.16.0-7, installed size 2,011 kB."


def _operands(expression: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", expression)


def test_a_calculator_expression_only_uses_numbers_seen():
    question = "What is 40 multiplied by 33, plus 5?"
    observations = ["[x] The Lyon office has 120 employees.", "Error: 7 is not a tool"]
    choices = CalculatorTool().input_choices(question, observations, 6)
    seen = {"40", "33", "5", "120"}
    assert choices and all(set(_operands(c)) <= seen for c in choices)
    assert "40 * 33 + 5" in choices  # arithmetic in words becomes writable
    assert "(40 - 33) * 5" in choices  # parentheses are free
    assert "120 + 40" in choices and not any("7" in _operands(c) for c in choices)  # an error shows nothing


def test_expressions_are_computable_and_bounded():
    found = expressions(["1", "0"], [str(n) for n in range(2, 40)])
    assert len(found) <= 256 and "1 / 0" not in found
    assert all(evaluate(text) is not None for text in found)


def test_numbers_skip_versions_and_identifiers_and_drop_thousands_separators():
    assert numbers(OBSERVATION) == ["2011"]
    assert numbers("x11 libxcb-dri2-0 costs 1,500.5 dollars in 2023") == ["1500.5", "2023"]


def test_a_final_answer_is_a_span_of_an_observation_or_a_calculator_result():
    observed = [(0, OBSERVATION, False), (1, "Error: bad input", False), (2, "2,022", True)]
    candidates = answer_candidates(observed, max_words=6)
    text = observation_text(OBSERVATION)
    assert candidates[0].text == "2,022" and (candidates[0].kind, candidates[0].step) == ("calculation", 2)
    for candidate in candidates[1:]:
        assert candidate.text in text and (candidate.kind, candidate.step) == ("observation", 0)
    texts = {c.text for c in candidates}
    # any span: an identifier, a version, a multi-word name, a number
    assert {"libcairo2", "1.16.0-7", "Cairo 2D vector graphics library", "2,011"} <= texts
    assert not any("deb-libcairo2" in t or "bad input" in t for t in texts)  # no document ids, no errors


def test_spans_do_not_cross_punctuation_and_keep_inner_punctuation():
    found = spans("Svalbard and Jan Mayen (official name: none), code SJM.", 6)
    assert "Svalbard and Jan Mayen" in found and "SJM" in found
    assert not any("Mayen official" in s or "Mayen (official" in s or "none code" in s for s in found)
    assert "1.2.3-1" in spans("Version 1.2.3-1, section libs", 6)


def test_a_search_query_is_a_span_of_the_question_or_the_whole_question():
    question = "How many employees do the Lyon and Porto offices have together?"
    choices = SearchTool(FakeDocuments({})).input_choices(question, [], 6)
    assert "Lyon" in choices and "Porto offices" in choices
    assert choices[-1] == question.rstrip("?")
    assert all(choice in question for choice in choices)
