"""The agent route alone, on a fake Agent handle: `samples` validated, passed through, documented (no Ray)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings


class FakeAgentHandle:
    """Records the arguments of `ask.remote` and answers with them."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.ask = self

    def remote(self, *args):
        self.calls.append(args)

        async def reply():
            return {"answer": "42", "args": list(args)}
        return reply()


def _client(agent: FakeAgentHandle) -> TestClient:
    services = Services(settings=IngressSettings(), llm=None, embedder=None, agent=agent)
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def test_samples_is_passed_to_the_agent_and_defaults_to_one() -> None:
    agent = FakeAgentHandle()
    client = _client(agent)
    assert client.post("/v1/agent/ask", json={"question": "q?"}).status_code == 200
    assert client.post("/v1/agent/ask", json={"question": "q?", "samples": 5, "max_steps": 2}).status_code == 200
    assert agent.calls == [("q?", None, "improved", 1), ("q?", 2, "improved", 5)]


def test_samples_out_of_range_is_400_naming_the_param() -> None:
    agent = FakeAgentHandle()
    for samples in (0, 9, -1, "many"):
        reply = _client(agent).post("/v1/agent/ask", json={"question": "q?", "samples": samples})
        assert reply.status_code == 400 and reply.json()["error"]["param"] == "samples", reply.text
    assert agent.calls == []


def test_samples_is_documented_in_the_openapi_schema() -> None:
    schema = _client(FakeAgentHandle()).get("/openapi.json").json()["components"]["schemas"]["AskRequest"]
    samples = schema["properties"]["samples"]
    assert (samples["minimum"], samples["maximum"], samples["default"]) == (1, 8, 1)
    assert "majority vote" in samples["description"]
