"""Each guard alone, on hand-made loop states (no model)."""

from __future__ import annotations

from deployments.agent.choices import Candidate
from deployments.agent.guards import (
    STOP, AnswerNeedsObservation, AnswerNotInQuestion, LoopState, NewInputsOnly, RepeatedAction, SeenNumbersOnly,
    build_guards,
)
from deployments.agent.prompts import HistoryItem
from deployments.agent.settings import AgentSettings
from deployments.agent.trace import Step

SEARCHED = HistoryItem("search", "Lyon office", "[office-lyon] The Lyon office has 120 employees.")
ACTIONS = ["search", "calculator", "Final Answer"]


def test_answer_needs_observation_hides_final_answer_until_something_is_observed():
    guard = AnswerNeedsObservation()
    assert guard.actions(ACTIONS, LoopState("q?")) == ["search", "calculator"]
    assert guard.actions(ACTIONS, LoopState("q?", [SEARCHED])) == ACTIONS


def test_repeated_action_stops_only_an_identical_action_and_input():
    guard, state = RepeatedAction(), LoopState("q?", [SEARCHED])
    assert guard.check(Step("t", "search", "Lyon office"), state) == STOP
    assert guard.check(Step("t", "search", "Porto office"), state) is None
    assert guard.check(Step("t", "lookup", "Lyon office"), state) is None


def test_new_inputs_only_drops_inputs_already_used_with_that_action():
    guard, state = NewInputsOnly(), LoopState("q?", [SEARCHED])
    assert guard.inputs("search", ["Lyon office", "Porto office"], state) == ["Porto office"]
    assert guard.inputs("calculator", ["Lyon office"], state) == ["Lyon office"]
    assert guard.inputs("search", ["Lyon office"], state) == ["Lyon office"]  # never leaves nothing


def test_seen_numbers_only_refuses_an_invented_operand():
    guard = SeenNumbersOnly()
    state = LoopState("How many do Lyon and Nagoya have together?", [SEARCHED])
    assert guard.check(Step("t", "calculator", "120 + 1"), state).startswith("Error: 1 is not in the question")
    assert guard.check(Step("t", "calculator", "120 * 2"), LoopState("What is twice it, 2 times?", [SEARCHED])) is None
    assert guard.check(Step("t", "search", "office 7"), state) is None  # words: not a calculation


def test_answer_not_in_question_drops_what_the_question_states():
    guard = AnswerNotInQuestion()
    state = LoopState("Which package is described as 'Cairo 2D vector graphics library'?")
    candidates = [Candidate("Cairo 2D", 0, "observation"), Candidate("libcairo2", 0, "observation"),
                  Candidate("2", 1, "calculation")]
    assert [c.text for c in guard.answers(candidates, state)] == ["libcairo2", "2"]
    assert guard.answers(candidates[:1], state) == candidates[:1]  # never leaves nothing


def test_each_guard_has_its_own_setting():
    assert len(build_guards(AgentSettings())) == 5
    off = AgentSettings(guard_repeated_action=False, guard_new_inputs_only=False)
    assert {type(g).__name__ for g in build_guards(off)} == {"AnswerNeedsObservation", "SeenNumbersOnly",
                                                            "AnswerNotInQuestion"}
