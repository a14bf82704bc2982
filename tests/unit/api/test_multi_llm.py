"""Several LLMServer deployments in one app: AppArgs.extra_llms, the bound graph, routing by `model`.

The graph is inspected after `build_app` (binding starts no Ray); routing runs on the real FastAPI
app with small fake handles.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.builder import AppArgs, build_app
from tests.unit.fakes import HandleMethod


class FakeLLM:
    """Answers with its own name, and 404 for a model it does not serve, like LLMServer."""

    def __init__(self, name: str) -> None:
        self.models = HandleMethod(lambda: [{"id": name, "object": "model", "created": 0, "owned_by": "medici"}])
        self.completions = HandleMethod(lambda payload: self._answer(name, payload))
        self.chat = HandleMethod(lambda payload: self._answer(name, payload))

    @staticmethod
    def _answer(name: str, payload: dict) -> dict:
        from deployments import errors

        if payload.get("model") not in (None, name):
            raise errors.not_found(f"model '{payload['model']}' does not exist", code="model_not_found")
        return {"model": name, "choices": [{"text": "ok"}]}


@pytest.fixture
def client(monkeypatch) -> TestClient:
    monkeypatch.delenv("MEDICI_API_KEY", raising=False)
    monkeypatch.delenv("MEDICI_API_KEY_FILE", raising=False)
    services = Services(settings=IngressSettings(), llm=FakeLLM("default"), embedder=None,
                        extra_llms={"big": FakeLLM("big"), "tiny": FakeLLM("tiny")})
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def test_requests_go_to_the_llm_named_by_model(client):
    assert client.post("/v1/completions", json={"model": "big", "prompt": "x"}).json()["model"] == "big"
    chat = client.post("/v1/chat/completions", json={"model": "tiny", "messages": [{"role": "user", "content": "x"}]})
    assert chat.json()["model"] == "tiny"
    assert client.post("/v1/completions", json={"prompt": "x"}).json()["model"] == "default"


def test_an_unknown_model_is_404(client):
    response = client.post("/v1/completions", json={"model": "nope", "prompt": "x"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


def test_models_lists_every_llm(client):
    assert [card["id"] for card in client.get("/v1/models").json()["data"]] == ["default", "big", "tiny"]


def test_extra_llms_are_bound_as_their_own_deployments():
    app = build_app({"extra_llms": {"tuned": {"model": "/models/tuned"}, "b": {"served_model_name": "bee"}},
                     "options": {"LLMServer-tuned": {"num_replicas": 2}}})
    ingress = app._bound_deployment
    extra = ingress.init_kwargs["extra_llms"]
    assert sorted(extra) == ["bee", "tuned"]
    tuned = extra["tuned"]._bound_deployment
    assert tuned.name == "LLMServer-tuned" and tuned.num_replicas == 2
    assert tuned.ray_actor_options["num_cpus"] == 1  # LLMServer's defaults apply
    assert tuned.init_args[0]["model"] == "/models/tuned" and tuned.init_args[0]["served_model_name"] == "tuned"
    assert extra["bee"]._bound_deployment.name == "LLMServer-b"


def test_default_app_is_unchanged_without_extra_llms():
    assert "extra_llms" not in build_app({})._bound_deployment.init_kwargs


def test_served_model_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        AppArgs.model_validate({"extra_llms": {"x": {"served_model_name": "smollm2-135m-instruct"}}})
    with pytest.raises(ValueError, match="letters"):
        AppArgs.model_validate({"extra_llms": {"a/b": {}}})
