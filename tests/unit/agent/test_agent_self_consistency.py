"""Agent.ask with `samples`: n sampled runs on a scripted fake LLM, the majority answer (no Ray, no model)."""

import asyncio

import pytest

from deployments import errors
from deployments.agent.agent import Agent
from deployments.agent.tools import build_tools
from tests.unit.agent.constrained import choice
from tests.unit.fakes import FakeDocuments, ScriptedLLM

DOCS = {"office-lyon": "The Lyon office opened in 2012 and has 120 employees.",
        "office-porto": "The Porto office opened in 2018 and has 85 employees."}
QUESTION = "How many employees work in Lyon?"


def by_seed(answers: dict[int, str]):
    """A script whose run with seed i searches once, then answers ``answers[i]``."""
    def respond(request):
        real = request["prompt"].split("Now the real question.")[1]
        searched = real.count("Observation:") > 0
        if choice(request):
            return " Final Answer" if searched else " search"
        if real.endswith("Thought:"):
            return " look it up"
        return f" {answers[request['seed']]}" if searched else " Lyon office"
    return respond


class FlakyLLM(ScriptedLLM):
    """ScriptedLLM whose runs with some seeds fail (a ServiceError or a crash) or never finish."""

    def __init__(self, respond, fail=(), crash=(), hang=()) -> None:
        super().__init__(respond)
        self.fail, self.crash, self.hang = set(fail), set(crash), set(hang)

    async def complete(self, request):
        seed = request["seed"]
        if seed in self.hang:
            await asyncio.sleep(60)
        if seed in self.fail:
            raise errors.unavailable("the model is restarting")
        if seed in self.crash:
            raise RuntimeError("secret detail")
        return await super().complete(request)


def _agent(llm, **settings) -> Agent:
    agent = Agent(llm=object(), documents=object(), settings={"grounded_answers": False, **settings})
    agent.llm, agent.tools = llm, build_tools(FakeDocuments(DOCS))
    return agent


def _ask(agent: Agent, samples: int, **kwargs) -> dict:
    return asyncio.run(agent.ask(QUESTION, max_steps=3, samples=samples, **kwargs))


def test_one_sample_is_todays_greedy_run():
    llm = ScriptedLLM(by_seed({0: "120"}))
    reply = _ask(_agent(llm), 1)
    assert set(reply) == {"answer", "answer_source", "steps", "stop_reason", "mode", "parse_failures", "usage",
                          "stopped_early", "sources"}
    assert reply["answer"] == "120" and reply["usage"]["llm_calls"] == len(llm.requests)
    assert {(r["temperature"], r["seed"]) for r in llm.requests} == {(0.0, 0)}


def test_samples_vote_and_report_every_run():
    llm = ScriptedLLM(by_seed({0: "85", 1: "$120", 2: "120 employees", 3: "85", 4: "120"}))
    reply = _ask(_agent(llm, sample_temperature=0.5), 5)
    assert reply["answer"] == "$120"  # as written by the first run that gave the winning answer
    assert reply["votes"] == [{"answer": "120", "count": 3}, {"answer": "85", "count": 2}]
    assert [s["seed"] for s in reply["samples"]] == [0, 1, 2, 3, 4]
    assert [s["answer"] for s in reply["samples"]] == ["85", "$120", "120 employees", "85", "120"]
    assert reply["steps"] == reply["samples"][1]["steps"] and reply["stop_reason"] == "final_answer"
    assert {(r["seed"], r["temperature"]) for r in llm.requests} == {(i, 0.5) for i in range(5)}
    assert reply["usage"]["llm_calls"] == len(llm.requests) == sum(s["usage"]["llm_calls"] for s in reply["samples"])
    assert reply["usage"]["total_tokens"] == 12 * len(llm.requests)
    assert reply["mode"] == "improved" and reply["parse_failures"] == 0


def test_a_failing_run_is_reported_not_fatal():
    llm = FlakyLLM(by_seed({0: "85", 1: "120", 2: "120"}), fail=[1], crash=[2])
    reply = _ask(_agent(llm), 3)
    assert reply["answer"] == "85" and reply["votes"] == [{"answer": "85", "count": 1}]
    failed, crashed = reply["samples"][1], reply["samples"][2]
    assert failed["seed"] == 1 and failed["error"]["code"] == "service_unavailable" and "answer" not in failed
    assert crashed["error"]["type"] == "internal_error" and "secret" not in crashed["error"]["message"]
    assert reply["usage"]["llm_calls"] == len(llm.requests)


def test_a_run_past_the_timeout_is_cancelled_and_reported():
    llm = FlakyLLM(by_seed({0: "120", 1: "120", 2: "85"}), hang=[2])
    reply = _ask(_agent(llm, sample_timeout_s=0.5), 3)
    assert reply["answer"] == "120" and reply["votes"] == [{"answer": "120", "count": 2}]
    assert reply["samples"][2]["error"]["code"] == "timeout"


def test_all_runs_failing_raises_the_first_error():
    with pytest.raises(errors.ServiceError) as failed:
        _ask(_agent(FlakyLLM(by_seed({}), fail=[0, 1], crash=[2])), 3)
    assert failed.value.status == 503
    with pytest.raises(errors.ServiceError) as timed_out:
        _ask(_agent(FlakyLLM(by_seed({}), hang=[0, 1]), sample_timeout_s=0.2), 2)
    assert timed_out.value.status == 504
    with pytest.raises(RuntimeError):  # not a ServiceError: raised as is, the ingress maps it
        _ask(_agent(FlakyLLM(by_seed({}), crash=[0, 1])), 2)


def test_runs_without_an_answer_lose_to_any_answer_in_naive_mode():
    def respond(request):
        if request["seed"] == 2:
            return " I now know the final answer\nFinal Answer: 120"
        return " Action: search\nAction Input: Lyon"  # never answers: LangChain's forced stop
    reply = _ask(_agent(ScriptedLLM(respond)), 3, mode="naive")
    assert reply["answer"] == "120" and reply["mode"] == "naive"
    assert reply["votes"][0] == {"answer": "120", "count": 1} and reply["votes"][1]["count"] == 2


def test_concurrency_is_bounded_by_the_setting():
    running, peak = 0, 0

    class Counting(ScriptedLLM):
        async def complete(self, request):
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            return await super().complete(request)

    _ask(_agent(Counting(by_seed({i: "120" for i in range(6)})), sample_concurrency=2), 6)
    assert peak == 2


@pytest.mark.parametrize("samples", [0, 9, -1])
def test_samples_out_of_range_is_a_bad_request(samples):
    with pytest.raises(errors.ServiceError) as bad:
        _ask(_agent(ScriptedLLM(by_seed({}))), samples)
    assert bad.value.status == 400 and bad.value.param == "samples"
