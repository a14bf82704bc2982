"""The improved loop and the classic one, driven by a scripted fake LLM (no Ray, no model)."""

import asyncio

from deployments.agent.classic import FORCED_STOP, ClassicAgent
from deployments.agent.generation import Generator, Usage
from deployments.agent.guards import build_guards
from deployments.agent.plan import plan_for
from deployments.agent.react import NO_ANSWER, REPEATED, SEEDED_THOUGHT, ImprovedAgent
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import build_tools
from deployments.agent.trace import Run
from tests.unit.agent.constrained import CheckedLLM, allows, choice, grammar
from tests.unit.fakes import FakeDocuments

DOCS = {"office-lyon": "The Lyon office opened in 2012 and has 120 employees.",
        "office-porto": "The Porto office opened in 2018 and has 85 employees."}


def _run(respond, question="How many employees work in Lyon?", max_steps=4, agent_cls=ImprovedAgent, **kwargs):
    llm = CheckedLLM(respond)
    usage = Usage()
    tools = build_tools(FakeDocuments(DOCS))
    if agent_cls is ImprovedAgent:
        settings = AgentSettings(**{"grounded_answers": False, **kwargs})
        agent = ImprovedAgent(Generator(llm, usage), tools, build_guards(settings), settings)
    else:
        agent = agent_cls(Generator(llm, usage), tools)
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
        if grammar(request):
            return f" {action_input}"  # a grounded answer, chosen among the observed values
        if choice(request):
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


def test_action_is_chosen_from_a_choice_list_and_fields_use_stop_sequences():
    _, llm = _run(improved_script([("t", "Final Answer", "5")]), guard_answer_needs_observation=False)
    chosen = next(r for r in llm.requests if choice(r))
    assert choice(chosen) == [" search", " lookup", " calculator", " Final Answer"]
    fields = [r for r in llm.requests if not r.get("structured_outputs")]
    assert all("\nObservation" in r["stop"] and r["temperature"] == 0.0 for r in fields)


def test_empty_thought_is_replaced_by_a_seeded_one():
    run, llm = _run(improved_script([("", "Final Answer", "7")]), guard_answer_needs_observation=False)
    assert run.steps[0].recovered and run.steps[0].thought == SEEDED_THOUGHT
    assert f"Thought: {SEEDED_THOUGHT}\nAction:" in llm.requests[1]["prompt"]


def test_empty_action_input_is_reprompted_with_a_seeded_thought():
    def respond(request):
        prompt = request["prompt"]
        if choice(request):
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
            return " 120"
        return script(request)

    run, llm = _run(respond, question="How many employees work in the Lyon office?", max_steps=6,
                    grounded_answers=True, guard_new_inputs_only=False)
    assert run.answer == "120"
    assert len(run.steps) == 2 and run.steps[1].observation == REPEATED
    assert run.stop_reason == "repeated_action"
    assert allows(grammar(llm.requests[-1]), " 120")  # answered from what was observed
    assert "I must give the final answer now" in llm.requests[-1]["prompt"]


def test_max_steps_asks_once_for_a_final_answer():
    def respond(request):
        if choice(request):
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
    run, _ = _run(lambda r: " search" if choice(r) else "", max_steps=2)
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


def test_grounded_answer_is_a_span_of_an_observation_with_its_source():
    run, llm = _run(improved_script([("find Lyon", "search", "Lyon office"), ("it says 120", "Final Answer", "120")]),
                    question="How many employees work in the Lyon office?", grounded_answers=True)
    assert run.answer == "120" and run.answer_source == {"kind": "observation", "step": 0}
    assert " Final Answer" not in choice(llm.requests[1])  # nothing observed yet, so no answer yet
    query, answer = [grammar(r) for r in llm.requests if grammar(r)]
    assert allows(query, " Lyon office") and not allows(query, " Porto office")  # a span of the question
    assert all(allows(answer, f" {a}") for a in ["120", "2012", "opened", "has 120"])
    assert not allows(answer, " has 120 employees") and not allows(answer, " the")  # words of the question
    assert not allows(answer, " The Lyon office opened in 2012")  # restates the question
    assert not allows(answer, " office-lyon")  # document ids are not content


def test_a_calculator_result_is_an_answer_and_its_source_is_the_calculation():
    run, llm = _run(improved_script([("s", "search", "Lyon office"), ("s", "search", "Porto office"),
                                     ("c", "calculator", "120 + 85"), ("a", "Final Answer", "205")]),
                    question="How many employees do the Lyon office and the Porto office have together?",
                    grounded_answers=True, max_steps=5)
    assert [s.action_input for s in run.steps[:3]] == ["Lyon office", "Porto office", "120 + 85"]
    assert run.steps[2].observation == "205" and run.answer == "205"
    assert run.answer_source == {"kind": "calculation", "step": 2}
    calculator = [grammar(r) for r in llm.requests if grammar(r)][2]
    assert allows(calculator, " 120 + 85") and not allows(calculator, " 120 + 1")


def test_a_calculation_with_a_number_nobody_observed_is_refused_with_a_precise_error():
    run, _ = _run(improved_script([("s", "search", "Lyon office"), ("c", "calculator", "120 + 1"),
                                   ("a", "Final Answer", "120")]),
                  question="How many employees do Lyon and Nagoya have together?", max_steps=3)
    assert run.steps[1].observation == ("Error: 1 is not in the question or any observation; look up the "
                                        "number you need first, then calculate with it.")
    assert run.answer == "120" and run.stop_reason == "final_answer"


def test_word_arithmetic_is_written_over_the_question_s_numbers():
    def respond(request):
        real = _real(request["prompt"])
        if grammar(request):
            wanted = " (40 * 33) + 5" if real.count("Observation:") == 0 else " 1325"
            assert allows(grammar(request), wanted)
            return wanted
        if choice(request):
            return " calculator" if real.count("Observation:") == 0 else " Final Answer"
        return " compute it"

    run, _ = _run(respond, question="What is 40 multiplied by 33, plus 5?", grounded_answers=True)
    assert run.steps[0].observation == "1325" and run.answer == "1325"
    assert run.answer_source == {"kind": "calculation", "step": 0}


def test_the_plan_looks_up_each_named_document_then_the_guard_asks_for_a_calculation():
    docs = {**DOCS, "office-nagoya": "The Nagoya office opened in 2020 and has 40 employees.",
            "handbook": "Every office has a manager. Employees get 25 days off."}

    def respond(request):
        real = _real(request["prompt"])
        if choice(request):
            assert real.count("Observation:") >= 2  # both offices were looked up before the first decision
            return " calculator" if " calculator" in choice(request) and "Final Answer" not in "".join(
                choice(request)) else " Final Answer"
        if grammar(request):
            return " 120 + 40" if real.count("Observation:") == 2 else " 160"
        return " add them"

    question = "How many employees do the Lyon and Nagoya offices have together?"
    llm, usage = CheckedLLM(respond), Usage()
    documents = FakeDocuments(docs)
    tools = build_tools(documents)
    settings = AgentSettings(guard_combine_before_answer=True)
    agent = ImprovedAgent(Generator(llm, usage), tools, build_guards(settings), settings,
                          plan_for(tools, documents, settings))
    run = asyncio.run(agent.run(question, 4, Run(question=question, mode="test", usage=usage)))
    assert [(s.action, s.action_input) for s in run.steps[:2]] == [("search", "Lyon"), ("search", "Nagoya")]
    assert run.steps[0].observation.startswith("[office-lyon]") and run.steps[1].observation.startswith("[office-nagoya]")
    assert run.steps[2].action == "calculator" and run.answer == "160"
    assert run.answer_source == {"kind": "calculation", "step": 2}
