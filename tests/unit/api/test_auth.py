"""API-key auth on the real FastAPI app (`build_fastapi_app`) with a small fake LLM handle; no Ray."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from deployments.api.auth import API_KEY_ENV, API_KEY_FILE_ENV, BearerAuthMiddleware, api_key_from_env
from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from tests.unit.fakes import HandleMethod

KEY = "medici-test-key-5f2b9c"


class FakeLLM:
    """Answers like the LLMServer handle: `.method.remote(...)` returns an awaitable."""

    ready = HandleMethod({"model": "fake", "context_length": 8192, "device": "cpu"})
    models = HandleMethod([{"id": "fake", "object": "model", "created": 0, "owned_by": "medici"}])
    completions = HandleMethod(lambda payload: {"object": "text_completion", "prompt_seen": payload["prompt"]})


def make_client(monkeypatch, key: str | None) -> TestClient:
    monkeypatch.delenv(API_KEY_FILE_ENV, raising=False)
    if key is None:
        monkeypatch.delenv(API_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(API_KEY_ENV, key)
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=FakeLLM(), embedder=None))
    return TestClient(app, raise_server_exceptions=False)


def test_without_a_key_configured_everything_is_open(monkeypatch):
    client = make_client(monkeypatch, None)
    assert client.get("/v1/models").json()["data"][0]["id"] == "fake"


def test_healthz_needs_no_key(monkeypatch):
    client = make_client(monkeypatch, KEY)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY},
                                     {"Authorization": f"Basic {KEY}"}, {"Authorization": "Bearer "},
                                     {"Authorization": f"Bearer {KEY}x"}])
def test_missing_or_wrong_key_is_401_in_the_openai_error_shape(monkeypatch, headers):
    client = make_client(monkeypatch, KEY)
    response = client.get("/v1/models", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["type"] == "authentication_error" and error["code"] == "invalid_api_key"
    assert set(error) == {"message", "type", "param", "code"}
    assert KEY not in response.text


def test_every_route_but_healthz_is_guarded(monkeypatch):
    client = make_client(monkeypatch, KEY)
    for method, path in [("GET", "/v1/models"), ("POST", "/v1/completions"), ("POST", "/v1/chat/completions"),
                         ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/no/such/route")]:
        assert client.request(method, path, json={}).status_code == 401, path


def test_the_right_key_passes_to_the_route(monkeypatch):
    client = make_client(monkeypatch, KEY)
    ok = {"Authorization": f"Bearer {KEY}"}
    assert client.get("/v1/models", headers=ok).status_code == 200
    answer = client.post("/v1/completions", headers={"authorization": f"bearer {KEY}"},
                         json={"prompt": "hello", "max_tokens": 1})
    assert answer.status_code == 200 and answer.json()["prompt_seen"] == "hello"
    assert client.get("/no/such/route", headers=ok).status_code == 404  # past auth, the usual errors


def test_unauthenticated_oversized_body_gets_401_before_413(monkeypatch):
    client = make_client(monkeypatch, KEY)
    response = client.post("/v1/completions", content=b"x" * (9 * 1024 * 1024))
    assert response.status_code == 401


def test_keys_and_tokens_never_reach_the_logs(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(monkeypatch, KEY)
    wrong = "wrong-token-a81f"
    client.get("/v1/models", headers={"Authorization": f"Bearer {wrong}"})
    client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"})
    client.post("/v1/completions", headers={"Authorization": f"Bearer {KEY}"}, json={"prompt": 5})
    assert caplog.records  # the 401 and the 400 were logged ...
    assert KEY not in caplog.text and wrong not in caplog.text  # ... without the key or the token


def test_the_key_is_read_from_the_environment_and_blank_means_off():
    assert api_key_from_env({API_KEY_ENV: "  abc "}) == "abc"
    assert api_key_from_env({API_KEY_ENV: "  "}) is None
    assert api_key_from_env({}) is None


def test_the_key_can_come_from_a_secret_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-file\n")
    assert api_key_from_env({API_KEY_FILE_ENV: str(secret)}) == "from-file"
    assert api_key_from_env({API_KEY_ENV: "direct", API_KEY_FILE_ENV: str(secret)}) == "direct"
    (tmp_path / "empty").write_text("")
    with pytest.raises(ValueError):
        api_key_from_env({API_KEY_FILE_ENV: str(tmp_path / "empty")})
    with pytest.raises(OSError):
        api_key_from_env({API_KEY_FILE_ENV: str(tmp_path / "missing")})


def test_the_middleware_hides_the_key_in_its_repr():
    middleware = BearerAuthMiddleware(app=None, api_key=KEY)
    assert KEY not in repr(middleware)
    with pytest.raises(ValueError):
        BearerAuthMiddleware(app=None, api_key="")


def test_healthz_is_found_under_a_route_prefix(monkeypatch):
    client = make_client(monkeypatch, KEY)
    # Serve mounts the app under its route prefix as ASGI root_path; /healthz stays open there too
    client_prefixed = TestClient(client.app, root_path="/medici", raise_server_exceptions=False)
    assert client_prefixed.get("/medici/healthz").status_code == 200
    assert client_prefixed.get("/medici/v1/models").status_code == 401
