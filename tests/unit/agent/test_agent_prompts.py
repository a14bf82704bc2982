from deployments.agent.prompts import HistoryItem, classic_prompt, describe_tools, improved_prompt
from deployments.agent.tools import build_tools
from tests.unit.fakes import FakeDocuments

TOOLS = build_tools(FakeDocuments({}))


def test_every_tool_is_described_in_one_verb_first_sentence_with_its_input_type():
    for tool in TOOLS.values():
        assert tool.description.split()[0] in {"Search", "Look", "Calculate"}
        assert tool.description.count(".") == 1 and tool.description.endswith(".")
        assert "(" in tool.input_format and "e.g." in tool.input_format  # the type and an example
    lines = describe_tools(TOOLS).splitlines()
    assert [line.split(":")[0] for line in lines] == ["search", "lookup", "calculator", "Final Answer"]


def test_improved_prompt_shows_actions_and_observations_but_no_earlier_thoughts():
    history = [HistoryItem("search", "Lyon office", "[office-lyon] The Lyon office has 120 employees.")]
    prompt = improved_prompt("How many employees work in Lyon?", TOOLS, history)
    real = prompt.split("Now the real question.")[1]
    assert "Action: search\nAction Input: Lyon office\nObservation: [office-lyon]" in real
    assert real.count("Thought:") == 1 and real.endswith("Thought:")  # only the slot for the new one


def test_improved_prompt_with_current_thought_ends_at_action():
    prompt = improved_prompt("q?", TOOLS, [], thought="I need to search")
    assert prompt.endswith("Question: q?\nThought: I need to search\nAction:")


def test_classic_prompt_replays_the_whole_scratchpad():
    scratch = " I guess it is 999.\nAction: search\nAction Input: Lyon\nObservation: none\nThought: "
    prompt = classic_prompt("q?", TOOLS, scratch)
    assert prompt.startswith("Answer the following questions as best you can.")
    assert "should be one of [search, lookup, calculator]" in prompt
    assert prompt.endswith("Question: q?\nThought:" + scratch)
