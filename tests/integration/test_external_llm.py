"""The external LLM client against real endpoints: the session's own LLMServer over HTTP as the
OpenAI-compatible endpoint, a closed port, a `.invalid` host, and a loopback proxy (uvicorn) in
front of the LLMServer that the test stops and starts again.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from deployments.errors import ServiceError
from deployments.llm.backend import LLMBackendSettings, make_llm_client
from deployments.llm.client import completion_text
from tests.net import free_port

pytestmark = pytest.mark.integration


class Proxy:
    """A real HTTP server (uvicorn) forwarding /v1/* to the session's LLMServer; stoppable."""

    def __init__(self, upstream: str, port: int) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def forward(request: Request) -> Response:
            async with httpx.AsyncClient(timeout=60) as client:
                answer = await client.post(f"{upstream}{request.url.path}", content=await request.body(),
                                           headers={"Content-Type": "application/json"})
            return Response(answer.content, answer.status_code, media_type="application/json")

        app = Starlette(routes=[Route("/v1/{rest:path}", forward, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("proxy did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _client(url: str, **extra):
    return make_llm_client(LLMBackendSettings(kind="openai", base_url=url, **extra), None)


def test_the_project_llmserver_answers_as_an_openai_endpoint(base_url: str, model_name: str):
    client = _client(f"{base_url}/v1", model=model_name)

    async def both():
        return (await client.complete({"prompt": "The capital of France is", "max_tokens": 4, "seed": 1}),
                await client.chat({"messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 4}))

    completion, chat = asyncio.run(both())
    assert completion["object"] == "text_completion" and completion["model"] == model_name
    assert 1 <= completion["usage"]["completion_tokens"] <= 4
    assert chat["object"] == "chat.completion" and isinstance(completion_text(chat), str)
    assert chat["choices"][0]["message"]["role"] == "assistant"


def test_an_unknown_upstream_model_comes_back_as_its_404(base_url: str):
    client = _client(f"{base_url}/v1", model="no-such-model")
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.complete({"prompt": "x", "max_tokens": 1}))
    assert caught.value.status == 404 and "no-such-model" in caught.value.message


def test_a_closed_port_is_a_quick_503_naming_the_endpoint(base_url: str):
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        asyncio.run(_client(url).complete({"prompt": "x"}))
    assert caught.value.status == 503 and url in caught.value.message
    assert time.monotonic() - started < 5


def test_an_invalid_host_fails_within_the_resolve_timeout(base_url: str):
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        asyncio.run(_client("http://llm.medici.invalid/v1").complete({"prompt": "x"}))
    assert caught.value.status == 503 and caught.value.code == "llm_endpoint_unresolvable"
    assert time.monotonic() - started < 2.5  # resolve_timeout_s is 2 s


def test_an_endpoint_stopped_and_started_again_recovers_without_restart(base_url: str, model_name: str):
    port = free_port()
    proxy = Proxy(base_url, port)
    client = _client(f"http://127.0.0.1:{port}/v1", model=model_name)
    request = {"prompt": "One, two,", "max_tokens": 2}

    async def first_then_down():
        ok = await client.complete(request)
        proxy.stop()
        with pytest.raises(ServiceError) as caught:
            await client.complete(request)
        return ok, caught.value

    ok, down = asyncio.run(first_then_down())
    assert ok["usage"]["completion_tokens"] >= 1
    assert down.status == 503 and f"127.0.0.1:{port}" in down.message

    again = Proxy(base_url, port)
    try:
        back = asyncio.run(client.complete(request))
    finally:
        again.stop()
    assert back["model"] == model_name and back["usage"]["completion_tokens"] >= 1
