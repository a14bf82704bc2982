"""OpenAIEndpointClient against a tiny hand-written endpoint on loopback (`http.server`), and the factory."""

from __future__ import annotations

import asyncio
import time

import pytest

from deployments.errors import ServiceError
from deployments.llm.backend import LLMBackendSettings, make_llm_client
from deployments.llm.client import HandleLLMClient
from deployments.llm.external import OpenAIEndpointClient
from tests.net import free_port
from tests.unit.fakes import LoopbackJSONServer


class FakeEndpoint(LoopbackJSONServer):
    """An OpenAI-ish endpoint: echoes what it got; `"model": "missing"` gets OpenAI's 404 body."""

    def __init__(self, port: int = 0) -> None:
        self.seen: list = []
        super().__init__(self._respond, port)

    def _respond(self, path: str, headers: dict, body: dict) -> tuple[int, dict]:
        self.seen.append((path, headers, body))
        if body.get("model") == "missing":
            return 404, {"error": {"message": "model 'missing' not found", "type": "not_found_error",
                                   "param": "model", "code": "model_not_found"}}
        if body.get("model") == "crash":
            return 500, {"detail": "boom"}
        key = "text" if path.endswith("/completions") and "chat" not in path else "message"
        choice = {"text": "echo"} if key == "text" else {"message": {"role": "assistant", "content": "echo"}}
        return 200, {"object": "ok", "path": path, "choices": [choice]}


@pytest.fixture
def endpoint():
    fake = FakeEndpoint()
    yield fake
    fake.stop()


def client_for(url: str, **extra) -> OpenAIEndpointClient:
    return OpenAIEndpointClient(LLMBackendSettings(kind="openai", base_url=url, **extra))


def test_complete_and_chat_post_to_the_openai_paths(endpoint):
    client = client_for(f"http://127.0.0.1:{endpoint.port}/v1", model="upstream-model")

    async def both():
        return await client.complete({"prompt": "hi", "stream": True}), await client.chat({"messages": []})

    completion, chat = asyncio.run(both())
    assert completion["path"] == "/v1/completions" and chat["path"] == "/v1/chat/completions"
    sent = [body for _, _, body in endpoint.seen]
    assert sent[0] == {"prompt": "hi", "stream": False, "model": "upstream-model"}
    assert sent[1]["model"] == "upstream-model"


def test_nothing_connects_before_the_first_request():
    client = client_for(f"http://127.0.0.1:{free_port()}/v1")
    assert client._client is None  # built while the endpoint is down, without error


def test_api_key_comes_from_the_named_environment_variable(endpoint, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "s3cret")
    client = client_for(f"http://127.0.0.1:{endpoint.port}/v1", api_key_env="TEST_LLM_KEY")
    asyncio.run(client.complete({"prompt": "x"}))
    assert endpoint.seen[0][1]["Authorization"] == "Bearer s3cret"


def test_a_missing_api_key_variable_is_a_clear_503_without_the_key(endpoint, monkeypatch):
    monkeypatch.delenv("TEST_LLM_KEY", raising=False)
    client = client_for(f"http://127.0.0.1:{endpoint.port}/v1", api_key_env="TEST_LLM_KEY")
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.complete({"prompt": "x"}))
    assert caught.value.status == 503 and "TEST_LLM_KEY" in caught.value.message


def test_upstream_4xx_passes_through_with_its_message(endpoint):
    client = client_for(f"http://127.0.0.1:{endpoint.port}/v1")
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.chat({"model": "missing", "messages": []}))
    error = caught.value
    assert (error.status, error.type, error.param) == (404, "not_found_error", "model")
    assert "model 'missing' not found" in error.message and f"127.0.0.1:{endpoint.port}" in error.message


def test_upstream_500_becomes_502(endpoint):
    client = client_for(f"http://127.0.0.1:{endpoint.port}/v1")
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.complete({"model": "crash", "prompt": "x"}))
    assert caught.value.status == 502 and "boom" in caught.value.message


def test_a_closed_port_is_a_503_naming_the_endpoint():
    port = free_port()
    client = client_for(f"http://127.0.0.1:{port}/v1")
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.complete({"prompt": "x"}))
    assert caught.value.status == 503 and caught.value.code == "llm_endpoint_unavailable"
    assert f"http://127.0.0.1:{port}/v1" in caught.value.message


def test_an_invalid_host_fails_fast_with_503():
    client = client_for("http://llm.medici.invalid:8000/v1")
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.complete({"prompt": "x"}))
    assert caught.value.status == 503 and caught.value.code == "llm_endpoint_unresolvable"
    assert "llm.medici.invalid" in caught.value.message
    assert time.monotonic() - started < 10  # bounded by resolve_timeout_s (2 s), not a resolver's retries


def test_a_hanging_resolver_is_cut_at_the_resolve_timeout():
    async def hangs(host: str, port: int):
        await asyncio.sleep(30)

    client = OpenAIEndpointClient(
        LLMBackendSettings(kind="openai", base_url="http://llm.example:8000/v1", resolve_timeout_s=0.1),
        resolver=hangs,
    )
    with pytest.raises(ServiceError) as caught:
        asyncio.run(client.complete({"prompt": "x"}))
    assert caught.value.code == "llm_endpoint_unresolvable" and "within 0.1s" in caught.value.message


def test_the_endpoint_stopped_then_started_again_recovers_without_restart():
    first = FakeEndpoint()
    port = first.port
    client = client_for(f"http://127.0.0.1:{port}/v1")

    async def scenario():
        ok = await client.complete({"prompt": "a"})
        first.stop()
        try:
            await client.complete({"prompt": "b"})
        except ServiceError as exc:
            down = exc
        again = FakeEndpoint(port)
        try:
            return ok, down, await client.complete({"prompt": "c"})
        finally:
            again.stop()

    ok, down, back = asyncio.run(scenario())
    assert ok["choices"][0]["text"] == "echo" and back["choices"][0]["text"] == "echo"
    assert down.status == 503


def test_factory_picks_the_handle_client_by_default():
    handle = object()
    client = make_llm_client(None, handle)
    assert isinstance(client, HandleLLMClient) and client.handle is handle


def test_factory_picks_the_external_client_from_a_dict():
    client = make_llm_client({"kind": "openai", "base_url": "http://vllm:8000/v1"}, None)
    assert isinstance(client, OpenAIEndpointClient) and client.endpoint == "http://vllm:8000/v1"


def test_settings_refuse_openai_without_url_and_unknown_fields():
    with pytest.raises(ValueError):
        LLMBackendSettings(kind="openai")
    with pytest.raises(ValueError):
        LLMBackendSettings(kind="serve", url="x")
    with pytest.raises(ValueError):
        make_llm_client({"kind": "serve"}, None)
