"""`POST /v1/agent/ask` with `stream`: the route's SSE framing on a fake handle, and the Agent's
step events from a real loop run on a scripted fake LLM (no Ray)."""

from __future__ import annotations

import asyncio
import json

from fastapi.testclient import TestClient

from deployments import errors
from deployments.agent.agent import Agent
from deployments.agent.tools import build_tools
from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from tests.unit.fakes import FakeDocuments, ScriptedLLM

DOCS = {"office-lyon": "The Lyon office opened in 2012 and has 120 employees."}


class _Generator:
    """What `handle.options(stream=True).ask_stream.remote()` returns: an async iterator with cancel()."""

    def __init__(self, events, fail_after: int | None = None) -> None:
        self.events, self.fail_after, self.sent = list(events), fail_after, 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.fail_after is not None and self.sent == self.fail_after:
            raise errors.ServiceError(503, "the model is not ready", "service_unavailable", code="not_ready")
        if self.sent == len(self.events):
            raise StopAsyncIteration
        self.sent += 1
        return self.events[self.sent - 1]

    def cancel(self) -> None:
        pass


class FakeStreamingAgent:
    def __init__(self, events, fail_after=None) -> None:
        self.events, self.fail_after, self.calls = events, fail_after, []
        self.ask_stream = self

    def options(self, stream: bool):
        assert stream is True
        return self

    def remote(self, *args):
        self.calls.append(args)
        return _Generator(self.events, self.fail_after)


def _post(agent, body):
    services = Services(settings=IngressSettings(), llm=None, embedder=None, agent=agent)
    client = TestClient(build_fastapi_app(services), raise_server_exceptions=False)
    return client.post("/v1/agent/ask", json=body)


def _events(text: str) -> list:
    return [line[len("data: "):] for line in text.split("\n\n") if line.startswith("data: ")]


def test_stream_sends_each_event_then_done():
    events = [{"type": "step", "index": 0, "step": {"action": "search"}}, {"type": "answer", "answer": "120"}]
    agent = FakeStreamingAgent(events)
    reply = _post(agent, {"question": "q?", "stream": True})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    sent = _events(reply.text)
    assert [json.loads(e) for e in sent[:-1]] == events and sent[-1] == "[DONE]"
    assert agent.calls == [("q?", None, "improved", 1)]


def test_stream_error_midway_is_an_error_event_then_done():
    reply = _post(FakeStreamingAgent([{"type": "step", "index": 0, "step": {}}], fail_after=1),
                  {"question": "q?", "stream": True})
    sent = _events(reply.text)
    assert json.loads(sent[1])["error"]["code"] == "not_ready" and sent[-1] == "[DONE]"


def test_stream_error_before_the_first_event_is_a_plain_4xx():
    class BadRequest(FakeStreamingAgent):
        def remote(self, *args):
            return _Generator([], fail_after=0)
    reply = _post(BadRequest([]), {"question": "q?", "stream": True})
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "not_ready"


def _scripted(request):
    prompt = request["prompt"].split("Now the real question.")[1]
    constraint = request.get("structured_outputs") or {}
    if constraint.get("grammar"):  # an input or answer written under a grammar (a span of a text)
        return " 120" if "Observation:" in prompt else " Lyon"
    if constraint.get("choice"):
        return " search" if "Observation:" not in prompt else " Final Answer"
    return " Lyon office" if prompt.endswith("Action Input:") else " look it up"


def _agent(llm) -> Agent:
    agent = Agent(llm=object(), documents=object())
    agent.llm, agent.tools = llm, build_tools(FakeDocuments(DOCS))
    return agent


async def _collect(agent: Agent, **kwargs) -> list[dict]:
    return [event async for event in agent.ask_stream("How many employees work in Lyon?", **kwargs)]


def test_agent_streams_one_event_per_step_then_the_same_reply_as_ask():
    events = asyncio.run(_collect(_agent(ScriptedLLM(_scripted))))
    steps = [e for e in events if e["type"] == "step"]
    answer = events[-1]
    assert [e["index"] for e in steps] == list(range(len(steps))) and events[-1]["type"] == "answer"
    assert [e["step"] for e in steps] == answer["steps"]
    assert steps[0]["step"]["action"] == "search" and answer["answer"] == "120"
    plain = asyncio.run(_agent(ScriptedLLM(_scripted)).ask("How many employees work in Lyon?"))
    assert {k: v for k, v in answer.items() if k != "type"} == {**plain, "steps": answer["steps"]}
    assert set(answer["answer_source"]) == {"kind", "step"}


def test_agent_stream_refuses_a_bad_request_before_any_event():
    try:
        asyncio.run(_collect(_agent(ScriptedLLM(_scripted)), max_steps=0))
    except errors.ServiceError as exc:
        assert exc.status == 400 and exc.param == "max_steps"
    else:
        raise AssertionError("max_steps=0 was accepted")
