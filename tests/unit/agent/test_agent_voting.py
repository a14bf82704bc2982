"""Answer normalisation and the majority vote of agent self-consistency."""

import pytest

from deployments.agent.classic import FORCED_STOP
from deployments.agent.react import NO_ANSWER
from deployments.agent.voting import is_no_answer, majority, normalise_answer


@pytest.mark.parametrize("text, expected", [
    ("1,200.0", "1200"), ("1200", "1200"), ("$118 million", "118"), ("118", "118"), ("118 employees.", "118"),
    ("1.50", "1.5"), ("-0.0", "0"), ("12,345,678", "12345678"), ("3.5%", "3.5"), ("EUR 2,000", "2000"),
    ("Tomas Ruiz", "tomas ruiz"), ("The Lyon office.", "lyon office"), ("  An   apple, a day!  ", "apple day"),
    ("between 2012 and 2018", "between 2012 and 2018"),  # two numbers: compared as text
])
def test_normalise_answer(text, expected):
    assert normalise_answer(text) == expected


def test_numeric_forms_vote_together():
    winner, votes = majority(["85", "$118 million", "118", "1,18", "118.0"])
    assert winner == 1  # the first run that gave the winning answer, as written: "$118 million"
    assert [(v.answer, v.count) for v in votes][0] == ("118", 3)


def test_most_votes_win_and_votes_are_listed_most_first():
    winner, votes = majority(["Porto", "Lyon", "lyon.", "the Lyon", "Porto"])
    assert winner == 1
    assert [v.to_dict() for v in votes] == [{"answer": "lyon", "count": 3}, {"answer": "porto", "count": 2}]


def test_ties_go_to_the_earliest_sample():
    assert majority(["120", "85", "85", "120"])[0] == 0
    assert majority(["85", "120", "120", "85"])[0] == 0
    assert majority(["7", "8", "9"])[0] == 0
    _, votes = majority(["7", "8", "9", "9"])
    assert [v.answer for v in votes] == ["9", "7", "8"]


def test_runs_without_an_answer_vote_only_when_no_run_answered():
    no_answers = [NO_ANSWER, NO_ANSWER, FORCED_STOP, "", "120"]
    winner, votes = majority(no_answers)
    assert winner == 4 and votes[0].to_dict() == {"answer": "120", "count": 1}
    assert [v.answered for v in votes] == [True, False, False, False]  # listed after every real answer
    assert sum(v.count for v in votes) == len(no_answers)
    winner, votes = majority([FORCED_STOP, NO_ANSWER, NO_ANSWER])
    assert winner == 1 and votes[0].count == 2


def test_no_answer_texts_are_recognised():
    assert is_no_answer(NO_ANSWER) and is_no_answer(FORCED_STOP) and is_no_answer("  ")
    assert is_no_answer("Agent stopped due to iteration limit.")
    assert not is_no_answer("120") and not is_no_answer("I could")
    assert majority(["the.", "a"])[1][0].answered is False  # nothing left after normalising: no answer


def test_no_answers_at_all():
    assert majority([]) == (None, [])
