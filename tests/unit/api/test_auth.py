"""API-key auth on the real FastAPI app (`build_fastapi_app`) with small fake handles; no Ray.

The admin key alone (`MEDICI_API_KEY`) as before, then the scopes: a user key (`MEDICI_USER_KEY`) on each
route class, and `GET /v1/auth/status`, the open route the console reads.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from deployments.api.auth import API_KEY_ENV, API_KEY_FILE_ENV, BearerAuthMiddleware
from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.security.keys import USER_KEY_ENV, USER_KEY_FILE_ENV, Keys, keys_from_env
from tests.unit.fakes import HandleMethod

KEY = "medici-test-key-5f2b9c"
USER = "medici-user-key-0c41d7"


class FakeLLM:
    """Answers like the LLMServer handle: `.method.remote(...)` returns an awaitable."""

    ready = HandleMethod({"model": "fake", "context_length": 8192, "device": "cpu"})
    models = HandleMethod([{"id": "fake", "object": "model", "created": 0, "owned_by": "medici"}])
    completions = HandleMethod(lambda payload: {"object": "text_completion", "prompt_seen": payload["prompt"]})


class FakeDocuments:
    ready = HandleMethod({"documents": 0})
    add = HandleMethod(lambda payload: {"added": len(payload), "updated": 0, "total": len(payload)})
    delete = HandleMethod(lambda doc_id: True)
    get = HandleMethod(lambda doc_id: {"id": doc_id, "text": "t", "metadata": {}})
    search = HandleMethod(lambda *args: [])


class FakeTopics:
    submit_job = HandleMethod(lambda payload: {"id": "job-1", "state": "queued", "seen": payload})
    list_jobs = HandleMethod({"jobs": []})
    experiment = HandleMethod(lambda payload: {"rows": []})


def make_client(monkeypatch, key: str | None, user: str | None = None) -> TestClient:
    for name in (API_KEY_FILE_ENV, USER_KEY_FILE_ENV, API_KEY_ENV, USER_KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    if key is not None:
        monkeypatch.setenv(API_KEY_ENV, key)
    if user is not None:
        monkeypatch.setenv(USER_KEY_ENV, user)
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=FakeLLM(), embedder=None,
                                     documents=FakeDocuments(), topics=FakeTopics()))
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


def test_the_keys_are_read_from_the_environment_and_blank_means_off():
    assert keys_from_env({API_KEY_ENV: "  abc "}) == Keys(admin=b"abc")
    assert keys_from_env({API_KEY_ENV: "  "}).open and keys_from_env({}).open
    assert keys_from_env({API_KEY_ENV: "a", USER_KEY_ENV: " u "}) == Keys(admin=b"a", user=b"u")


def test_a_user_key_alone_or_equal_to_the_admin_key_is_refused():
    with pytest.raises(ValueError, match="without an admin key"):
        keys_from_env({USER_KEY_ENV: "u"})
    with pytest.raises(ValueError, match="must differ"):
        keys_from_env({API_KEY_ENV: "same", USER_KEY_ENV: "same"})


def test_the_keys_can_come_from_secret_files(tmp_path):
    secret, user = tmp_path / "key", tmp_path / "user"
    secret.write_text("from-file\n")
    user.write_text("user-file")
    assert keys_from_env({API_KEY_FILE_ENV: str(secret)}).admin == b"from-file"
    assert keys_from_env({API_KEY_ENV: "direct", API_KEY_FILE_ENV: str(secret)}).admin == b"direct"
    assert keys_from_env({API_KEY_FILE_ENV: str(secret), USER_KEY_FILE_ENV: str(user)}).user == b"user-file"
    (tmp_path / "empty").write_text("")
    with pytest.raises(ValueError):
        keys_from_env({API_KEY_FILE_ENV: str(tmp_path / "empty")})
    with pytest.raises(OSError):
        keys_from_env({API_KEY_FILE_ENV: str(tmp_path / "missing")})


def test_the_middleware_and_the_keys_hide_the_keys_in_their_repr():
    keys = Keys(admin=KEY.encode(), user=USER.encode())
    assert KEY not in repr(BearerAuthMiddleware(app=None, keys=keys)) and USER not in repr(keys)


def test_healthz_is_found_under_a_route_prefix(monkeypatch):
    client = make_client(monkeypatch, KEY)
    # Serve mounts the app under its route prefix as ASGI root_path; /healthz stays open there too
    client_prefixed = TestClient(client.app, root_path="/medici", raise_server_exceptions=False)
    assert client_prefixed.get("/medici/healthz").status_code == 200
    assert client_prefixed.get("/medici/v1/models").status_code == 401


ADMIN_ROUTES = [("POST", "/v1/documents", {"documents": [{"id": "a", "text": "t"}]}),
                ("DELETE", "/v1/documents/a", None),
                ("POST", "/v1/experiments", {"documents": [{"id": "a", "text": "t", "human_topics": ["x"]}]}),
                ("POST", "/v1/topics/jobs", {"corpus_uri": "data/art_corpus.jsonl"}),
                ("POST", "/v1/topics/jobs", {"documents": [{"id": "a", "text": "t"}], "output_uri": "/tmp/x/"}),
                ("GET", "/no/such/route", None)]
USER_ROUTES = [("GET", "/v1/models", None), ("POST", "/v1/completions", {"prompt": "hi", "max_tokens": 1}),
               ("GET", "/v1/documents/a", None), ("GET", "/v1/topics/jobs", None),
               ("POST", "/v1/topics/jobs", {"documents": [{"id": "a", "text": "t"}]})]


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
def test_a_user_key_on_an_admin_route_is_403_and_the_handle_is_not_called(monkeypatch, method, path, body):
    client = make_client(monkeypatch, KEY, USER)
    handles = (FakeDocuments.add, FakeDocuments.delete, FakeTopics.submit_job, FakeTopics.experiment)
    calls_before = [len(handle.calls) for handle in handles]
    response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {USER}"})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["type"] == "permission_error" and error["code"] == "insufficient_scope"
    assert "admin key" in error["message"] and USER not in response.text
    assert [len(handle.calls) for handle in handles] == calls_before


@pytest.mark.parametrize("method,path,body", USER_ROUTES)
def test_a_user_key_reaches_the_user_routes(monkeypatch, method, path, body):
    client = make_client(monkeypatch, KEY, USER)
    response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {USER}"})
    assert response.status_code in (200, 202), response.text
    assert client.request(method, path, json=body).status_code == 401  # and no key is still refused


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES[:-1])
def test_the_admin_key_passes_the_scope_check_on_admin_routes(monkeypatch, method, path, body):
    client = make_client(monkeypatch, KEY, USER)
    response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code not in (401, 403), response.text


def test_auth_status_is_open_and_says_what_the_key_sent_grants(monkeypatch):
    client = make_client(monkeypatch, KEY, USER)
    assert client.get("/v1/auth/status").json() == {"auth": "key", "role": None}
    assert client.get("/v1/auth/status", headers={"Authorization": "Bearer nope"}).json()["role"] is None
    assert client.get("/v1/auth/status", headers={"Authorization": f"Bearer {USER}"}).json()["role"] == "user"
    assert client.get("/v1/auth/status", headers={"Authorization": f"Bearer {KEY}"}).json()["role"] == "admin"
    open_client = make_client(monkeypatch, None)
    assert open_client.get("/v1/auth/status").json() == {"auth": "open", "role": "admin"}
