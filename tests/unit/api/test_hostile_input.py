"""Malformed and hostile requests against the FastAPI app alone (fake handle, no Ray): each is a clean 4xx.

The same requests run against the real Serve in tests/integration/test_hostile_input.py; here they
are cheap enough to cover every shape.
"""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from tests.unit.fakes import HandleMethod

JSON = {"content-type": "application/json"}


class EchoLLM:
    """Answers every generation at once, or after `delay_s` (a model that is overloaded or restarting)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.completions = HandleMethod(self._answer)
        self.chat = HandleMethod(self._answer)

    async def _answer(self, request: dict) -> dict:
        await asyncio.sleep(self.delay_s)
        return {"object": "text_completion", "choices": [{"text": "ok"}], "echo": request}


def client(llm=None, **settings) -> TestClient:
    services = Services(settings=IngressSettings(**settings), llm=llm or EchoLLM(), embedder=None)
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def _error(response, statuses=(400,)) -> dict:
    assert response.status_code in statuses, response.text
    return response.json()["error"]


@pytest.mark.parametrize("body", [
    b'{"prompt": "\xff\xfe"}',  # invalid UTF-8
    b'{"prompt": "x"',  # truncated JSON
    b"[" * 10_000 + b"]" * 10_000,  # nested past the parser's recursion limit
    b'{"prompt": "x", "junk": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
])
def test_invalid_utf8_json_and_deep_nesting_are_400_invalid_json(body: bytes) -> None:
    assert _error(client().post("/v1/completions", content=body, headers=JSON))["code"] == "invalid_json"


@pytest.mark.parametrize(("body", "param"), [
    ({"prompt": "x", "max_tokens": 10**12}, "max_tokens"),
    ({"prompt": "x", "max_tokens": 100_000}, None),  # passes the schema: the replica checks the context (400)
    ({"prompt": "x", "max_tokens": 10**30}, "max_tokens"),
    ({"prompt": "x", "top_p": 0}, "top_p"),
    ({"prompt": "x", "seed": 2**70}, "seed"),
    ({"prompt": "x", "seed": -1}, "seed"),
    ({"prompt": "x", "temperature": -0.5}, "temperature"),
    ({"prompt": "x", "stop": ["s"] * 1000}, "stop"),
])
def test_extreme_numbers_are_refused_at_the_edge_or_reach_the_replica_checked(body: dict, param) -> None:
    response = client().post("/v1/completions", json=body)
    if param is None:
        assert response.status_code == 200  # the fake answers; the real replica's 400 is tested over HTTP
    else:
        assert _error(response, (400, 422))["param"] == param


def test_nan_and_infinity_are_400() -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"prompt": "x", "temperature": ' + literal + b"}"
        assert _error(client().post("/v1/completions", content=body, headers=JSON))["param"] == "temperature"


def test_a_lone_surrogate_is_400_naming_where_it_is() -> None:
    body = b'{"messages": [{"role": "user", "content": "bad \\ud800 text"}]}'
    error = _error(client().post("/v1/chat/completions", content=body, headers=JSON))
    assert "messages[0].content" in error["message"] and "Unicode" in error["message"]


def test_nul_and_astral_characters_pass_through() -> None:
    response = client().post("/v1/completions", json={"prompt": "a\u0000b \U0010ffff"})
    assert response.status_code == 200 and response.json()["echo"]["prompt"] == "a\u0000b \U0010ffff"


def test_a_model_slower_than_the_deadline_is_504_and_the_call_is_cancelled() -> None:
    llm = EchoLLM(delay_s=5)
    error = _error(client(llm, request_timeout_s=0.2).post("/v1/completions", json={"prompt": "x"}), (504,))
    assert "request timeout of 0.2s" in error["message"] and error["type"] == "timeout"
    assert llm.completions.cancelled == 1


def test_the_openapi_schema_declares_the_error_shape_and_sse() -> None:
    schema = client().get("/openapi.json").json()
    post = schema["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert {"400", "413", "503", "504"} <= set(post)
    assert post["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "text/event-stream" in post["200"]["content"]
