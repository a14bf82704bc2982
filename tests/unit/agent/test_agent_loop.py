"""The improved loop and the classic one, driven by a scripted fake LLM (no Ray, no model)."""

import asyncio

from deployments.agent.classic import FORCED_STOP, ClassicAgent
from deployments.agent.generation import Generator, Usage
from deployments.agent.react import NO_ANSWER, REPEATED, SEEDED_THOUGHT, ImprovedAgent
from deployments.agent.tools import build_tools
from deployments.agent.trace import Run
from tests.unit.fakes import FakeDocuments, ScriptedLLM

DOCS = {"office-lyon": "The Lyon office opened in 2012 and has 120 employees.",
        "office-porto": "The Porto office opened in 2018 and has 85 employees."}


def _run(respond, question="How many employees work in Lyon?", max_steps=4, agent_cls=ImprovedAgent, **kwargs):
    llm = ScriptedLLM(respond)
    usage = Usage()
    kwargs = {"grounded_answers": False, **kwargs} if agent_cls is ImprovedAgent else {}
    agent = agent_cls(Generator(llm, usage), build_tools(FakeDocuments(DOCS)), **kwargs)
    run = asyncio.run(agent.run(question, max_steps, Run(question=question, mode="test", usage=usage)))
    return run, llm


def _real(prompt: str) -> str:
    return prompt.split("Now the real question.")[1]


def improved_script(actions):
    """Answers thought / action / input requests from a list of (thought, action, input) per step."""
    def respond(request):
        real = _real(request["prompt"])
        step = real.count("Observation:")
        thought, action, action_input = actions[min(step, len(actions) - 1)]
        if request.get("guided_choice") and real.endswith("Action Input:"):
            return f" {action_input}"  # a grounded answer, chosen among the observed values
        if request.get("guided_choice"):
            return f" {action}"
        if real.endswith("Thought:"):
            return f" {thought}"
        return f" {action_input}\nObservation: made up"
    return respond


def test_search_then_final_answer():
    run, llm = _run(improved_script([("find Lyon", "search", "Lyon office"), ("it says 120", "Final Answer", "120")]))
    assert run.answer == "120" and run.stop_reason == "final_answer"
    assert [s.action for s in run.steps] == ["search", "Final Answer"]
    assert run.steps[0].observation.startswith("[office-lyon] The Lyon office")
    assert run.steps[0].action_input == "Lyon office"  # the hallucinated Observation was cut
    assert "made up" not in llm.requests[-1]["prompt"]
    assert "find Lyon" not in llm.requests[-1]["prompt"]  # fix 4: the earlier Thought is dropped
    assert run.usage.llm_calls == len(llm.requests) == 6


def test_action_is_chosen_by_guided_choice_and_fields_use_stop_sequences():
    _, llm = _run(improved_script([("t", "Final Answer", "5")]))
    choice = next(r for r in llm.requests if r.get("guided_choice"))
    assert choice["guided_choice"] == [" search", " lookup", " calculator", " Final Answer"]
    fields = [r for r in llm.requests if not r.get("guided_choice")]
    assert all("\nObservation" in r["stop"] and r["temperature"] == 0.0 for r in fields)


def test_empty_thought_is_replaced_by_a_seeded_one():
    run, llm = _run(improved_script([("", "Final Answer", "7")]))
    assert run.steps[0].recovered and run.steps[0].thought == SEEDED_THOUGHT
    assert f"Thought: {SEEDED_THOUGHT}\nAction:" in llm.requests[1]["prompt"]


def test_empty_action_input_is_reprompted_with_a_seeded_thought():
    def respond(request):
        prompt = request["prompt"]
        if request.get("guided_choice"):
            return " calculator"
        if prompt.endswith("Thought:"):
            return " compute"
        if _real(prompt).count("Observation:") == 0:
            return " 2 + 2" if SEEDED_THOUGHT in _real(prompt) else "\n"
        return " 4"
    run, llm = _run(respond, question="What is 2 + 2?", max_steps=1)
    assert run.steps[0].recovered and run.steps[0].action_input == "2 + 2"
    assert run.steps[0].observation == "4"


def test_bad_input_gives_a_precise_error_observation_and_another_try():
    run, _ = _run(improved_script([("calc", "calculator", "two plus two"), ("again", "calculator", "2 + 2"),
                                   ("done", "Final Answer", "4")]), question="What is 2 + 2?")
    assert run.steps[0].observation.startswith("Error: 'two plus two' is not an arithmetic expression")
    assert run.steps[1].observation == "4" and run.answer == "4"


def test_lookup_with_wrong_input_type_explains_the_format():
    run, _ = _run(improved_script([("look", "lookup", "office-lyon"), ("x", "Final Answer", "x")]))
    assert "lookup needs a document id and a phrase separated by a comma" in run.steps[0].observation


def test_a_repeated_action_ends_the_run_with_an_answer_from_the_observations():
    script = improved_script([("s", "search", "Lyon office")])

    def respond(request):
        if "I must give the final answer now" in request["prompt"]:
            return request["guided_choice"][-1]
        return script(request)

    run, llm = _run(respond, max_steps=6, grounded_answers=True)
    assert run.answer == "120"
    assert len(run.steps) == 2 and run.steps[1].observation == REPEATED
    assert run.stop_reason == "repeated_action"
    assert llm.requests[-1]["guided_choice"] == [" 2012", " 120"]  # the numbers observed, for "How many"
    assert "I must give the final answer now" in llm.requests[-1]["prompt"]


def test_the_answer_type_of_the_question_narrows_the_grounded_candidates():
    from deployments.agent.grounding import answer_candidates, expected_answer_type

    seen = ["[company-ceo] The chief executive officer is Claire Moreau. She has led the company since 2009."]
    assert answer_candidates(seen, "Who is the chief executive officer?") == ["Claire Moreau"]
    assert answer_candidates(seen, "In which year did she start?") == ["2009"]
    assert answer_candidates(seen, "What does the CEO do?") == ["Claire Moreau", "2009"]
    assert answer_candidates(["[x] Budget 1,500 dollars."], "Who leads it?") == ["1500"]  # no name: all kept
    revenue = ["[finance-revenue-2023] Revenue in 2023 was 118 million dollars."]
    assert answer_candidates(revenue, "What was the revenue in 2023 in million dollars?") == ["118"]
    assert answer_candidates(["[x] 2023"], "What happened in 2023?") == ["2023"]  # nothing else: kept
    assert [expected_answer_type(q) for q in ("What is (48 - 12) / 4?", "How much does it cost?",
                                               "What is the name of the robot?")] == ["number", "number", None]


def test_max_steps_asks_once_for_a_final_answer():
    def respond(request):
        if request.get("guided_choice"):
            return " search"
        if request["prompt"].endswith("Thought:"):
            return " search more"
        if "I must give the final answer now" in request["prompt"]:
            return " 120\nQuestion: another one?"
        return f" Lyon {_real(request['prompt']).count('Observation:')}"
    run, llm = _run(respond, max_steps=3)
    assert run.stop_reason == "max_steps" and run.answer == "120"
    assert len(run.steps) == 3 and all(s.action == "search" for s in run.steps)
    assert llm.requests[-1]["prompt"].endswith("Action: Final Answer\nAction Input:")


def test_no_early_stop_action_exists_and_a_run_never_ends_without_an_answer():
    run, _ = _run(lambda r: " search" if r.get("guided_choice") else "", max_steps=2)
    assert run.stop_reason == "max_steps" and run.answer == NO_ANSWER
    assert all(s.recovered for s in run.steps)
    assert "Action Input is empty" in run.steps[0].observation


def test_classic_loop_counts_parse_failures_and_replays_thoughts():
    outputs = iter([" I guess 999 employees.", " Let me search.\nAction: search\nAction Input: Lyon office",
                    " I now know the final answer\nFinal Answer: 120"])
    run, llm = _run(lambda r: next(outputs), agent_cls=ClassicAgent)
    assert run.parse_failures == 1 and run.answer == "120"
    assert "I guess 999 employees." in llm.requests[-1]["prompt"]  # the full scratchpad
    assert llm.requests[0]["stop"] == ["\nObservation"]


def test_classic_loop_hits_the_iteration_limit_without_an_answer():
    run, _ = _run(lambda r: " Action: search\nAction Input: Lyon", max_steps=2, agent_cls=ClassicAgent)
    assert run.stop_reason == "max_steps" and run.answer == FORCED_STOP


def test_grounded_answer_is_chosen_among_observed_values():
    run, llm = _run(improved_script([("find Lyon", "search", "Lyon office"), ("it says 120", "Final Answer", "120")]),
                    grounded_answers=True)
    assert run.answer == "120"
    first_choice, answer_choice = [r["guided_choice"] for r in llm.requests if r.get("guided_choice")][::2][:2]
    assert " Final Answer" not in first_choice  # nothing observed yet, so no answer yet
    assert answer_choice == [" 2012", " 120"]  # from the document search showed


def test_grounding_candidates_skip_ids_and_errors():
    from deployments.agent.grounding import answer_candidates

    found = answer_candidates(["[dept-7] Led by Tomas Ruiz since 2019, budget 1,500 dollars.", "Error: 5 is bad"])
    assert found == ["Tomas Ruiz", "2019", "1500"]


def test_a_calculation_with_a_number_nobody_observed_is_refused_with_a_precise_error():
    from deployments.agent.grounding import unobserved_numbers

    seen = ["[office-dublin] The Dublin office opened in 2020 and has 45 employees."]
    assert unobserved_numbers("45 + 1", "How many employees do Dublin and Nagoya have together?", seen) == ["1"]
    assert unobserved_numbers("45.0 * 3", "How much do 3 licences cost?", seen) == []
    assert unobserved_numbers("1,250 + 3875", "What is 1250 + 3875?", []) == []
    run, _ = _run(improved_script([("s", "search", "Lyon office"), ("c", "calculator", "120 + 1"),
                                   ("a", "Final Answer", "120")]),
                  question="How many employees do Lyon and Nagoya have together?", grounded_answers=True,
                  max_steps=3)
    assert run.steps[1].observation == ("Error: 1 is not in the question or any observation; search for the "
                                        "number you need first, then calculate with it.")
    assert run.answer == "120" and run.stop_reason == "final_answer"


def test_search_refuses_arithmetic_and_the_calculator_copies_the_question_s_expression():
    from deployments.agent.grounding import question_expressions

    assert question_expressions("What is (48 - 12) / 4?") == ["(48 - 12) / 4"]
    assert question_expressions("What is 144 / 12 + 7?") == ["144 / 12 + 7"]
    assert question_expressions("How many employees does Lyon have?") == []

    def respond(request):
        real = _real(request["prompt"])
        if request.get("guided_choice") and real.endswith("Action Input:"):
            return request["guided_choice"][0]  # the grounded input or answer
        if request.get("guided_choice"):
            return " search" if real.count("Observation:") == 0 else (
                " calculator" if real.count("Observation:") == 1 else " Final Answer")
        if real.endswith("Action Input:"):
            return " 144 + 7"  # what the model typed when it retyped the expression
        return " compute it"

    run, llm = _run(respond, question="What is 144 / 12 + 7?", grounded_answers=True, max_steps=4)
    assert run.steps[0].observation.startswith("Error: '144 + 7' has no words to search for; use calculator")
    assert run.steps[1].action_input == "144 / 12 + 7" and run.steps[1].observation == "19"
    assert run.answer == "19"
