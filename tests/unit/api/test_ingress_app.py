"""The FastAPI app alone, with hand-written fake handles: health, errors and limits, no Ray."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from deployments import errors
from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from tests.unit.fakes import HandleMethod


class FakeLLMHandle:
    """Answers like the LLMServer handle; `loading=True` never answers `ready`, like a loading replica."""

    def __init__(self, loading: bool = False) -> None:
        self.ready = HandleMethod(self._ready_slow if loading else self._ready)
        self.completions = HandleMethod(self._completions)

    async def _ready(self):
        return {"model": "fake", "context_length": 10}

    async def _ready_slow(self):
        await asyncio.sleep(60)

    async def _completions(self, request: dict):
        if request["prompt"] == "boom":
            raise RuntimeError("secret internals")
        raise errors.not_found("model 'x' does not exist", code="model_not_found")


def client(loading: bool = False, **settings) -> TestClient:
    services = Services(settings=IngressSettings(health_timeout_s=0.2, **settings), llm=FakeLLMHandle(loading),
                        embedder=None)
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def test_healthz_is_200_when_ready_and_503_while_loading() -> None:
    assert client().get("/healthz").json()["status"] == "ok"
    loading = client(loading=True).get("/healthz")
    assert loading.status_code == 503
    assert loading.headers["retry-after"] == "5"
    assert loading.json()["error"]["code"] == "model_not_ready"


def test_a_replica_error_keeps_its_status_and_an_internal_one_hides_details() -> None:
    not_found = client().post("/v1/completions", json={"prompt": "hi"})
    assert not_found.status_code == 404
    assert not_found.json()["error"]["code"] == "model_not_found"
    internal = client().post("/v1/completions", json={"prompt": "boom"})
    assert internal.status_code == 500
    assert internal.json()["error"]["message"] == "Internal Server Error"


def test_body_limit_is_413_with_and_without_content_length() -> None:
    small = client(max_body_bytes=1024)
    assert small.post("/v1/completions", content=b"x" * 2000).status_code == 413
    chunked = small.post("/v1/completions", content=iter([b"x" * 600, b"x" * 600]))
    assert chunked.status_code == 413


def test_wrong_method_and_non_object_body_are_4xx() -> None:
    assert client().get("/v1/completions").status_code == 405
    response = client().post("/v1/completions", json=[1, 2])
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
