"""Each guard alone, on hand-made loop states (no model)."""

from __future__ import annotations

from dataclasses import replace

from deployments.agent.choices import Candidate, observation_text
from deployments.agent.grammars import InputSpace
from tests.unit.agent.constrained import allows
from deployments.agent.guards import (
    STOP, AnswerBesideLabel, AnswerFromNamedDocuments, AnswerNeedsObservation, AnswerNotInQuestion, CombineBeforeAnswer, LoopState, NewInputsOnly, RepeatedAction,
    QuestionNumbersOnce, SeenNumbersOnly, build_guards,
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


def test_new_inputs_only_cuts_inputs_already_used_with_that_action_out_of_the_question():
    guard, state = NewInputsOnly(), LoopState("q?", [SEARCHED])
    question = InputSpace(texts=("How many do the Lyon office and the Porto office have?",))
    assert guard.inputs("search", question, state).texts == ("How many do the", "and the Porto office have?")
    assert guard.inputs("lookup", question, state) == question  # another action: unchanged
    only = InputSpace(texts=("Lyon office",))
    assert guard.inputs("search", only, state) == only  # never leaves nothing
    numbers = InputSpace(operands=("120",), arithmetic=True)
    assert guard.inputs("search", numbers, state) == numbers


def test_seen_numbers_only_refuses_an_invented_operand():
    guard = SeenNumbersOnly()
    state = LoopState("How many do Lyon and Nagoya have together?", [SEARCHED])
    assert guard.check(Step("t", "calculator", "120 + 1"), state).startswith("Error: 1 is not in the question")
    assert guard.check(Step("t", "calculator", "120 * 2"), LoopState("What is twice it, 2 times?", [SEARCHED])) is None
    assert guard.check(Step("t", "search", "office 7"), state) is None  # words: not a calculation


def test_answer_not_in_question_cuts_what_the_question_states_out_of_the_observations():
    guard = AnswerNotInQuestion()
    state = LoopState("Which package is described as 'Cairo 2D vector graphics library'?")
    candidates = [Candidate("libcairo2: Cairo 2D vector graphics library. Version 1.16", 0, "observation"),
                  Candidate("2", 1, "calculation")]
    assert [c.text for c in guard.answers(candidates, state)] == ["libcairo2:", "Version 1.16", "2"]
    whole = [Candidate("Cairo 2D vector graphics library", 0, "observation")]
    assert guard.answers(whole, state) == whole  # never leaves nothing
    restating = [Candidate("Tessera is a warehouse robot.", 0, "observation")]
    assert [c.text for c in guard.answers(restating, LoopState("Which product is a warehouse robot?"))] == ["Tessera"]


def test_combine_before_answer_computes_one_labelled_value_of_each_named_document():
    guard = CombineBeforeAnswer()
    porto = HistoryItem("search", "Porto", "[office-porto] The Porto office opened in 2018 and has 85 employees.")
    question = "How many employees do the Lyon office and Porto have together?"
    two = LoopState(question, [SEARCHED, porto], planned=2, computing=frozenset({"calculator"}))
    assert guard.sides(two) == (("120",), ("85",))  # "employees" labels a number in both; "2018" is not asked
    assert guard.actions(ACTIONS, two) == ["calculator"]
    grammar = guard.inputs("calculator", InputSpace(operands=("120", "85", "2018"), arithmetic=True), two).grammar()
    assert allows(grammar, " 120 + 85") and allows(grammar, " 120 - 85") and allows(grammar, " 120 * 85")
    assert not allows(grammar, " 85 - 120")  # in the order the question names them
    assert not allows(grammar, " 120 + 2018") and not allows(grammar, " 120 + 120") and not allows(grammar, " 120")
    candidates = [Candidate("205", 2, "calculation"), Candidate("The Porto office has 85 employees.", 1, "observation")]
    two.history.append(HistoryItem("calculator", "120 + 85", "205", computed=True))
    assert guard.actions(ACTIONS, two) == ACTIONS  # computed: the loop goes on freely
    assert guard.answers(candidates, two) == candidates[:1]  # the answer is the calculation
    assert guard.sides(LoopState(question, [SEARCHED], planned=1)) is None
    plural = LoopState("What is the sum of the employee counts of the Lyon office and Porto?", two.history[:2], planned=2)
    assert guard.sides(plural) == (("120",), ("85",))  # "employee" labels "employees"


def test_combine_before_answer_leaves_a_question_whose_named_documents_share_no_label():
    guard = CombineBeforeAnswer()
    robot = HistoryItem("search", "warehouse robot", "[p-t] Tessera is a warehouse robot. It costs 42000 dollars.")
    drone = HistoryItem("search", "product", "[p-k] Kestrel is a drone. It costs 9000 dollars.")
    state = LoopState("Which product is a warehouse robot?", [robot, drone], planned=2, computing=frozenset({"calculator"}))
    assert guard.sides(state) is None and guard.actions(ACTIONS, state) == ACTIONS
    nested = [SEARCHED, HistoryItem("search", "Lyon", "[office-lyon2] The Lyon office has 12 employees.")]
    assert guard.sides(LoopState("Employees of the Lyon office?", nested, planned=2)) is None  # one name, two spans
    stated = LoopState("What is the 2018 size of Lyon office and Porto?",
                       [HistoryItem("search", "Lyon office", "[a] Lyon office: size in 2018 was 7."),
                        HistoryItem("search", "Porto", "[b] Porto: size in 2018 was 9.")], planned=2)
    assert guard.sides(stated) is None  # the only labelled numbers are the one the question states


def test_question_numbers_once_uses_every_stated_number_when_nothing_is_named():
    guard, free = QuestionNumbersOnce(), InputSpace(operands=("5", "120"), arithmetic=True)
    narrowed = guard.inputs("calculator", free, LoopState("What is 5 times 5, minus 3?"))
    assert narrowed.operands == ("5", "5", "3") and narrowed.each_once and narrowed.in_order
    grammar = narrowed.grammar()
    assert allows(grammar, " (5 * 5) - 3") and allows(grammar, " (5+5)/3")
    assert not allows(grammar, " 5 - 3") and not allows(grammar, " (5 * 5 * 5) - 3") and not allows(grammar, " (120 - 3)")
    assert not allows(grammar, " (5 - 3) * 5") and not allows(grammar, " 5 * 5 - 3")  # in order, grouped left to right
    assert guard.inputs("calculator", free, LoopState("What is 5 times 5?", planned=2)) == free  # two things named
    assert guard.inputs("calculator", free, LoopState("What is twice 5?")) == free  # one number: free arithmetic
    assert guard.inputs("search", InputSpace(texts=("q",)), LoopState("1 and 2?")) == InputSpace(texts=("q",))
    arithmetic = LoopState("What is 5 times 5, minus 3?", computing=frozenset({"calculator"}))
    assert guard.actions(ACTIONS, arithmetic) == ["calculator"]
    assert guard.actions(ACTIONS, LoopState("What is 5 times 5, minus 3?", [SEARCHED], planned=1)) == ACTIONS
    arithmetic.history.append(HistoryItem("calculator", "5 * 5 - 3", "22", computed=True))
    assert guard.actions(ACTIONS, arithmetic) == ACTIONS


def test_answer_from_named_documents_keeps_the_planned_observations_and_calculations():
    guard = AnswerFromNamedDocuments()
    candidates = [Candidate("205", 3, "calculation"), Candidate("The CEO is Ana.", 2, "observation"),
                  Candidate("The Lyon office has 120 employees.", 0, "observation")]
    assert [c.step for c in guard.answers(candidates, LoopState("q?", planned=1))] == [3, 0]
    assert guard.answers(candidates, LoopState("q?")) == candidates  # nothing planned: every observation
    assert guard.answers(candidates[1:2], LoopState("q?", planned=1)) == candidates[1:2]  # never leaves nothing


def test_each_guard_has_its_own_setting():
    assert len(build_guards(AgentSettings())) == 11
    assert len(build_guards(AgentSettings(guard_combine_before_answer=False))) == 10
    off = AgentSettings(guard_repeated_action=False, guard_new_inputs_only=False, guard_answer_from_named_documents=False,
                        guard_question_numbers_once=False, guard_combine_before_answer=False,
                        guard_answer_beside_label=False, guard_operator_from_words=False,
                        guard_combine_stated_with_named=False)
    assert {type(g).__name__ for g in build_guards(off)} == {"AnswerNeedsObservation", "SeenNumbersOnly",
                                                            "AnswerNotInQuestion"}


def test_answer_beside_label_keeps_the_words_the_question_labels():
    guard = AnswerBesideLabel()
    record = HistoryItem("search", "Haiti", "[iso-ht] Haiti has the alpha-2 code HT, the alpha-3 code HTI and the numeric code 332.")
    calculation = Candidate("7", 1, "calculation")
    whole = [Candidate(observation_text(record.observation), 0, "observation"), calculation]
    lookup = LoopState("What is the alpha-3 code of Haiti?", [record], planned=1)
    assert [c.text for c in guard.answers(whole, lookup)] == ["7", "HTI and"]
    reverse = LoopState("Which country has the alpha-3 code HTI?", [replace(record, action_input="HTI")], planned=1)
    assert guard.answers(whole, reverse) == whole  # the label stands beside the name: a reverse lookup
    assert guard.answers(whole, LoopState("What is the alpha-3 code of Haiti?", [record], planned=2)) == whole
    labelled_before = HistoryItem("search", "Krakow", "[o-k] The Krakow office has 60 employees. It opened in 2015.")
    before = LoopState("How many employees does the Krakow office have?", [labelled_before], planned=1)
    assert [c.text for c in guard.answers([Candidate("x", 0, "observation")], before)] == ["has 60"]
    both = LoopState("What is the numeric code of Haiti?", [record], planned=1)
    assert [c.text for c in guard.answers(whole, both)] == ["7", "332.", "HTI and"]
    beside_name = LoopState("How much does the Tessera robot cost?",
                            [HistoryItem("search", "Tessera", "[p] Tessera is a warehouse robot. It costs 42000 dollars.")],
                            planned=1)
    assert guard.answers(whole, beside_name) == whole  # "robot" names the thing with "Tessera"; "cost" is not held
    package = HistoryItem("search", "graphics library", "[d] libcairo2: Cairo 2D vector graphics library. Version 1.16.")
    described = LoopState("Which package is described as 'Cairo 2D vector graphics library'?", [package], planned=1)
    assert [c.text for c in guard.answers(whole[:1], described)] == ["libcairo2:"]  # a name before a colon


def test_operator_from_words_narrows_the_pair_and_the_stated_gaps():
    from deployments.agent.guards import OperatorFromWords

    guard = OperatorFromWords()
    looked_up = [HistoryItem("search", "Lyon", "[a] The Lyon office has 120 employees."),
                 HistoryItem("search", "Porto", "[b] The Porto office has 85 employees.")]
    pair = InputSpace(operands=("120", "85"), arithmetic=True, pair=(("85",), ("120",)))
    more = guard.inputs("calculator", pair, LoopState("How many more employees does Porto have than Lyon?",
                                                      list(looked_up), planned=2))
    assert allows(more.grammar(), " 120 - 85") and not allows(more.grammar(), " 85 - 120")
    assert not allows(more.grammar(), " 85 + 120")
    total = guard.inputs("calculator", pair, LoopState("What is the total of Porto and Lyon?", list(looked_up), planned=2))
    assert allows(total.grammar(), " 85 + 120") and not allows(total.grammar(), " 85 - 120")
    taken = guard.inputs("calculator", pair, LoopState("Subtract the staff of Porto from the staff of Lyon?",
                                                       [looked_up[1], looked_up[0]], planned=2))
    assert allows(taken.grammar(), " 120 - 85") and not allows(taken.grammar(), " 85 - 120")
    vague = LoopState("Compare Porto and Lyon?", list(looked_up), planned=2)
    assert guard.inputs("calculator", pair, vague) == pair  # no operation named: the model chooses
    stated = replace(InputSpace(operands=("47", "120"), arithmetic=True), each_once=True, in_order=True)
    narrowed = guard.inputs("calculator", stated, LoopState("What do you get when you subtract 47 from 120?"))
    assert allows(narrowed.grammar(), " 120 - 47") and not allows(narrowed.grammar(), " 47 - 120")
    assert guard.inputs("search", InputSpace(texts=("q",)), vague) == InputSpace(texts=("q",))


def test_answer_beside_label_answers_a_kind_question_with_the_words_beside_that_kind():
    guard = AnswerBesideLabel()
    record = HistoryItem("search", "car makers", "[o] The Nagoya office opened in 2021 and has 30 employees. "
                                                 "It works with car makers.")
    whole = [Candidate(observation_text(record.observation), 0, "observation")]
    kind = LoopState("Which office works with car makers?", [record], planned=1)
    assert [c.text for c in guard.answers(whole, kind)] == ["Nagoya", "opened"]  # not "30 employees" beside "office"
    described = LoopState("Which office is the home of car makers?", [record], planned=1)
    assert [c.text for c in guard.answers(whole, described)] == ["Nagoya", "opened"]  # "is the" labels nothing


def test_answer_beside_label_answers_a_description_with_the_words_beside_its_copy_and_never_a_function_word():
    guard = AnswerBesideLabel()
    record = HistoryItem("search", "robot", "[p] Tessera is a warehouse robot. It costs 42000 dollars.")
    whole = [Candidate(observation_text(record.observation), 0, "observation")]
    described = LoopState("Which product is a warehouse robot?", [record], planned=1)
    assert [c.text for c in guard.answers(whole, described)] == ["Tessera"]
    package = HistoryItem("search", "2D", "[d] libcairo2: Cairo 2D vector graphics library. Version 1.16, size 1307 kB.")
    quoted = LoopState("Which package is described as 'Cairo 2D vector graphics library'?", [package], planned=1)
    assert [c.text for c in guard.answers(whole[:0] + [Candidate(observation_text(package.observation), 0,
                                                                 "observation")], quoted)] == ["libcairo2:"]
    legal = HistoryItem("search", "year", "[l] The legal team is led by Ines Duarte. It reviews 300 contracts per year.")
    who = LoopState("Who leads the team that reviews 300 contracts per year?", [legal], planned=1)
    kept = [Candidate(observation_text(legal.observation), 0, "observation")]
    assert guard.answers(kept, who) == kept  # "It" beside the label is no answer: left alone


def test_combine_stated_with_named_computes_a_stated_number_with_the_asked_value():
    from deployments.agent.guards import CombineStatedWithNamed

    guard = CombineStatedWithNamed()
    record = HistoryItem("search", "Fjord", "[p] Fjord is a platform. A Fjord licence costs 1800 dollars per year.")
    state = LoopState("How much do 3 Fjord licences cost per year?", [record], planned=1,
                      computing=frozenset({"calculator"}))
    assert guard.sides(state) == (("3",), ("1800",))
    assert guard.actions(ACTIONS, state) == ["calculator"]
    space = guard.inputs("calculator", InputSpace(operands=("3", "1800"), arithmetic=True), state)
    assert allows(space.grammar(), " 3 * 1800") and not allows(space.grammar(), " 1800 * 1800")
    held = LoopState("What is the 2024 budget of sales?", [HistoryItem("search", "sales", "[s] The 2024 budget of "
                                                                      "sales is 8 million dollars.")], planned=1)
    assert guard.sides(held) is None  # a stated number the document holds names, it is no operand
    assert guard.sides(LoopState("How much do 3 Fjord licences cost?", [record], planned=2)) is None
    done = replace(state, history=[record, HistoryItem("calculator", "3 * 1800", "5400", computed=True)])
    assert guard.actions(ACTIONS, done) == ACTIONS
    answers = [Candidate("5400", 1, "calculation"), Candidate("Fjord is a platform.", 0, "observation")]
    assert guard.answers(answers, done) == answers[:1]
    assert AnswerBesideLabel().answers(answers[:1], done) == answers[:1]  # nothing of the document is put back
