"""Two real LLMServer deployments behind one ingress, chosen by the request's `model`.

The session app's LLMServer is the default; a second LLMServer (the same small model under the
served name "second", one torch thread) and an ingress routing to both run as their own
application under `/multi`, so the session app stays as every other test expects.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def multi(base_url: str):
    from ray import serve

    from deployments.api.ingress import Ingress
    from deployments.llm.server import LLMServer

    second = serve.deployment(LLMServer, name="LLMServer-second", ray_actor_options={"num_cpus": 0.5},
                              user_config={"request_timeout_s": 60.0})
    ingress = serve.deployment(serve.ingress()(Ingress), name="MultiIngress", ray_actor_options={"num_cpus": 0})
    app = ingress.bind(llm=serve.get_deployment_handle("LLMServer", app_name="medici"),
                       embedder=serve.get_deployment_handle("Embedder", app_name="medici"),
                       extra_llms={"second": second.bind({"served_model_name": "second", "torch_threads": 1})})
    serve.run(app, name="multi-llm", route_prefix="/multi")
    with httpx.Client(base_url=f"{base_url}/multi", timeout=120) as client:
        yield client
    serve.delete("multi-llm")


def test_models_lists_both(multi: httpx.Client, model_name: str):
    cards = multi.get("/v1/models").json()["data"]
    assert [(card["id"], card["task"]) for card in cards] == [(model_name, "generate"), ("second", "generate"),
                                                             ("minilm", "embed")]


def test_each_request_is_answered_by_the_model_it_names(multi: httpx.Client, model_name: str):
    for name in (model_name, "second"):
        answer = multi.post("/v1/completions", json={"model": name, "prompt": "Hello", "max_tokens": 2})
        assert answer.status_code == 200 and answer.json()["model"] == name
    chat = multi.post("/v1/chat/completions",
                      json={"model": "second", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2})
    assert chat.status_code == 200 and chat.json()["model"] == "second"


def test_an_unknown_model_is_404(multi: httpx.Client):
    answer = multi.post("/v1/completions", json={"model": "third", "prompt": "Hello", "max_tokens": 2})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "model_not_found"
