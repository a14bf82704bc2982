import pytest

from deployments.agent.parser import Action, Finish, ParseError, clean_field, cut_hallucination, parse_classic


def test_classic_action():
    parsed = parse_classic(" I should search.\nAction: search\nAction Input: Lyon office")
    assert parsed == Action("search", "Lyon office", parsed.log)


def test_classic_final_answer():
    parsed = parse_classic(" I now know the final answer\nFinal Answer: 120")
    assert isinstance(parsed, Finish) and parsed.answer == "120"


def test_classic_both_is_an_error():
    with pytest.raises(ParseError, match="both a final answer"):
        parse_classic("Action: search\nAction Input: x\nFinal Answer: 3")


@pytest.mark.parametrize("text, message", [
    ("I think the answer is 5", "Missing 'Action:'"),
    ("Action: search", "Missing 'Action Input:'"),
])
def test_classic_invalid_format(text, message):
    with pytest.raises(ParseError, match=message):
        parse_classic(text)


def test_hallucinated_observation_is_cut():
    text = " Lyon office employees\nObservation: The Lyon office has 999 employees.\nThought: done"
    assert cut_hallucination(text) == " Lyon office employees"
    assert clean_field(text) == "Lyon office employees"


def test_same_line_hallucination_is_cut():
    assert clean_field(" 17 * 23 Observation: 400") == "17 * 23"
    assert clean_field("\n\n") == ""
