"""Defaults like vLLM's: max_tokens absent is the rest of the context window unless the operator caps it;
`/v1/models` lists every served model, the embedder included, with what each serves."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.llm.settings import LLMRuntimeConfig
from tests.unit.fakes import HandleMethod
from tests.unit.llm.test_server_requests import USER, _server

PROMPT_TOKENS = 3  # the fake engine's chat prompt
CONTEXT = 4096  # the fake engine's context length


def _max_tokens(request: dict, cap: int | None = None) -> int:
    server = _server()
    server.runtime = LLMRuntimeConfig(default_max_tokens=cap)
    jobs, _ = server._chat_jobs({"messages": USER, **request})
    return jobs[0].max_tokens


def test_without_max_tokens_a_request_may_use_the_rest_of_the_context() -> None:
    assert LLMRuntimeConfig().default_max_tokens is None  # off unless the operator sets it
    assert _max_tokens({}) == CONTEXT - PROMPT_TOKENS


def test_the_operator_cap_bounds_only_requests_without_max_tokens() -> None:
    assert _max_tokens({}, cap=100) == 100
    assert _max_tokens({}, cap=10**6) == CONTEXT - PROMPT_TOKENS
    assert _max_tokens({"max_tokens": 2000}, cap=100) == 2000
    assert _max_tokens({"max_completion_tokens": 7}, cap=100) == 7


def test_the_llm_card_says_what_it_serves() -> None:
    (card,) = _server().models()
    assert card["object"] == "model" and card["task"] == "generate" and card["max_model_len"] == CONTEXT


def _card(name: str, task: str) -> dict:
    return {"id": name, "object": "model", "created": 0, "owned_by": "medici", "task": task}


class _Handle:
    def __init__(self, **methods) -> None:
        for name, behaviour in methods.items():
            setattr(self, name, HandleMethod(behaviour))


def test_models_lists_the_llms_then_the_embedder(monkeypatch) -> None:
    monkeypatch.delenv("MEDICI_API_KEY", raising=False)
    monkeypatch.delenv("MEDICI_API_KEY_FILE", raising=False)
    embedder = _Handle(models=lambda: [_card("minilm", "embed")],
                       embed_counted=lambda texts: {"vectors": [[1.0, 0.0]] * len(texts), "tokens": 2,
                                                    "model": "minilm", "dimension": 2})
    services = Services(settings=IngressSettings(), llm=_Handle(models=lambda: [_card("small", "generate")]),
                        embedder=embedder, extra_llms={"big": _Handle(models=lambda: [_card("big", "generate")])})
    client = TestClient(build_fastapi_app(services), raise_server_exceptions=False)
    cards = client.get("/v1/models").json()["data"]
    assert [(c["id"], c["task"]) for c in cards] == [("small", "generate"), ("big", "generate"), ("minilm", "embed")]
    listed = [c["id"] for c in cards if c["task"] == "embed"][0]
    reply = client.post("/v1/embeddings", json={"model": listed, "input": "x", "encoding_format": "float"})
    assert reply.status_code == 200 and reply.json()["model"] == listed
