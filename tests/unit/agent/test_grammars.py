"""The grammars the improved loop decodes under, checked with llguidance's own matcher (byte level):
each only lets the model write things that exist."""

from __future__ import annotations

import itertools

from deployments.agent.choices import answer_candidates, cut_phrases, numbers, numbers_beside, observation_text, source_of, spans
from deployments.agent.grammars import calculator_grammar, each_once_grammar, ordered_grammar, pair_grammar, span_grammar
from deployments.agent.tools import CalculatorTool, SearchTool
from deployments.llm.guided import ConstraintSpec, byte_matcher
from tests.unit.fakes import FakeDocuments

OBSERVATION = "[deb-libcairo2] libcairo2: Cairo 2D vector graphics library. Version 1.16.0-7, installed size 2,011 kB."


def accepts(grammar: str, text: str) -> bool:
    return byte_matcher(ConstraintSpec("grammar", grammar).validate()).accepts(text)


def test_a_calculator_expression_only_uses_numbers_seen():
    question = "What is 40 multiplied by 33, plus 5?"
    observations = ["[x] The Lyon office has 120 employees.", "Error: 7 is not a tool"]
    grammar = CalculatorTool().input_space(question, observations).grammar()
    for written in [" 40 * 33 + 5", " (40 - 33) * 5", " 120 + 40", "40*33+5\n", " ((120) + 5)"]:
        assert accepts(grammar, written), written  # arithmetic in words, looked-up values, free parentheses
    for invented in [" 40 * 34 + 5", " 7 + 40", " 4 + 0", " 1200", " 40 +", " 40 ^ 2", " forty", " 120", " ((120))"]:
        assert not accepts(grammar, invented), invented  # an operand nobody saw, or not arithmetic


def test_every_expression_over_the_seen_numbers_is_writable():
    grammar = calculator_grammar(["2", "25", "245"])
    for a, op, b in itertools.product(["2", "25", "245"], "+-*/", ["2", "25", "245"]):
        assert accepts(grammar, f" {a} {op} {b}") and accepts(grammar, f"({a}{op}{b})")
    assert calculator_grammar([]) is None


def test_numbers_skip_versions_and_identifiers_and_drop_thousands_separators():
    assert numbers(OBSERVATION) == ["2011"]
    assert numbers("x11 libxcb-dri2-0 costs 1,500.5 dollars in 2023") == ["1500.5", "2023"]


def test_a_final_answer_is_any_span_of_an_observation_or_a_calculator_result():
    observed = [(0, OBSERVATION, False), (1, "Error: bad input", False), (2, "2,022", True)]
    candidates = answer_candidates(observed)
    assert [(c.kind, c.step) for c in candidates] == [("calculation", 2), ("observation", 0)]
    again = answer_candidates([(0, OBSERVATION, False), (1, "[x] other", False), (2, OBSERVATION, False)])
    assert [(c.text[:5], c.step) for c in again] == [("libca", 0), ("other", 1)]  # seen again: still its first step
    text = observation_text(OBSERVATION)
    grammar = span_grammar([text], extra=["2,022"])
    words = text.split()
    every_span = {" ".join(words[i:j]).strip(".,:") for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    assert len(every_span) > 50 and all(accepts(grammar, f" {span}") for span in every_span)  # no cap
    # an identifier, a version, a multi-word name, a number, a calculator result
    for written in ["libcairo2", "1.16.0-7", "Cairo 2D vector graphics library", "2,011", "2,022", "2,011 kB\n"]:
        assert accepts(grammar, f" {written}"), written
    for outside in ["deb-libcairo2", "bad input", "Cairo 3D", "libcairo2 Cairo", "2022", "vector  graphics", ""]:
        assert not accepts(grammar, f" {outside}"), outside  # no document ids, no errors, nothing invented
    assert source_of("2,022", candidates) == candidates[0] and source_of("1.16.0-7", candidates) == candidates[1]


def test_literals_are_escaped():
    text = 'say "hi" \\ then {x} | y: ok'
    grammar = span_grammar([text])
    assert accepts(grammar, ' say "hi" \\ then {x} | y') and accepts(grammar, " ok")


def test_a_grammar_that_would_be_too_large_leaves_out_the_texts_listed_last():
    first, second = "alpha beta gamma", " ".join(f"w{i}" for i in range(400))
    grammar = span_grammar([first, second], limit=2000)
    assert accepts(grammar, " beta gamma") and not accepts(grammar, " w1 w2")
    assert span_grammar([]) is None and span_grammar(["..."]) is None


def test_a_search_query_is_a_span_of_the_question():
    question = "How many employees do the Lyon and Porto offices have together?"
    grammar = SearchTool(FakeDocuments({})).input_space(question, []).grammar()
    for written in ["Lyon", "Porto offices", "How many employees do the Lyon and Porto offices have together"]:
        assert accepts(grammar, f" {written}"), written
    assert not accepts(grammar, " Lyon offices") and not accepts(grammar, " Nagoya")


def test_cut_phrases_leaves_the_pieces_between_the_phrases():
    assert cut_phrases("Tessera is a warehouse robot, sold since 2020.", ["is a warehouse robot"], 2) == [
        "Tessera", "sold since 2020."]
    assert cut_phrases("a b c", ["x y"]) == ["a b c"] and cut_phrases("a b", ["A", "b"]) == []


def test_spans_do_not_cross_punctuation_and_keep_inner_punctuation():
    found = spans("Svalbard and Jan Mayen (official name: none), code SJM.", 6)
    assert "Svalbard and Jan Mayen" in found and "SJM" in found
    assert not any("Mayen official" in s or "Mayen (official" in s or "none code" in s for s in found)
    assert "1.2.3-1" in spans("Version 1.2.3-1, section libs", 6)


def test_an_each_once_expression_uses_every_operand_exactly_once_in_any_order():
    grammar = each_once_grammar(["4", "48", "348"])
    for written in [" 348 - 48 + 4", " 4 + (348 - 48)", "(4*48)/348\n", " 48 - 348 * 4"]:
        assert accepts(grammar, written), written
    for wrong in [" 348 + 4", " 348 - 48 + 4 + 4", " 348 - 48 + 5", " 3 + 48 + 448"]:
        assert not accepts(grammar, wrong), wrong
    assert each_once_grammar(["1"]) is None and each_once_grammar(["1", "2", "3", "4", "5"]) is None


def test_a_pair_expression_takes_one_number_of_each_side_in_order():
    grammar = pair_grammar(["430"], ["372", "12"])
    for text in (" 430 - 372", " 430 + 372", " 430 * 12", " 430 / 12\n"):
        assert accepts(grammar, text), text
    for text in (" 372 - 430", " 430 - 430", " 372 + 12", " 430", " 430 - 372 + 12", " 431 - 372"):
        assert not accepts(grammar, text), text
    assert pair_grammar([], ["1"]) is None


def test_numbers_beside_gives_the_words_that_label_each_number():
    found = numbers_beside("libfoo: tools. Version 1.2-3, section libs, installed size 1,388 kB. Has 45 employees.")
    assert found == {"size": ["1388"], "kb": ["1388"], "has": ["45"], "employees": ["45"]}


def test_an_ordered_expression_keeps_the_stated_order_grouped_left_to_right():
    grammar = ordered_grammar(["348", "48", "4"])
    for written in [" (348 - 48) + 4", "(348*48)/4\n"]:
        assert accepts(grammar, written), written
    for wrong in [" 348 - 48 + 4", " (48 - 348) + 4", " 348 - (48 + 4)", " (348 - 48)"]:
        assert not accepts(grammar, wrong), wrong
    assert accepts(ordered_grammar(["120", "47"]), " 120 - 47") and ordered_grammar(["1"]) is None


def test_a_named_operator_is_the_only_one_a_gap_or_a_pair_may_take():
    grammar = ordered_grammar(["348", "48", "4"], ["-", "+-*/"])
    assert accepts(grammar, " (348 - 48) * 4") and accepts(grammar, "(348-48)+4")
    assert not accepts(grammar, " (348 + 48) + 4") and not accepts(grammar, " (348 * 48) - 4")
    minus = pair_grammar(["430"], ["372", "12"], "-")
    assert accepts(minus, " 430 - 372") and not accepts(minus, " 430 + 372")
    distance = pair_grammar(["12"], ["430", "5"], "-", larger_first=True)
    assert accepts(distance, " 430 - 12") and accepts(distance, " 12 - 5")
    assert not accepts(distance, " 12 - 430") and not accepts(distance, " 430 + 12")
