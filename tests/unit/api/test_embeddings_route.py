"""`/v1/embeddings` on the FastAPI app alone, over a hand-written Embedder handle (no Ray)."""

from __future__ import annotations

import base64

import numpy as np
from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings


class _Method:
    def __init__(self, behaviour) -> None:
        self.behaviour = behaviour

    def remote(self, *args):
        return self.behaviour(*args)


class FakeEmbedder:
    """Vector i of a text is its length and i; one token per word."""

    def __init__(self) -> None:
        self.embed_counted = _Method(self._embed)

    async def _embed(self, texts: list[str]) -> dict:
        vectors = [[float(len(t)), 0.5, -1.25] for t in texts]
        return {"vectors": vectors, "tokens": sum(len(t.split()) for t in texts), "model": "minilm", "dimension": 3}


def _client() -> TestClient:
    services = Services(settings=IngressSettings(), llm=None, embedder=FakeEmbedder())
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def test_a_string_and_a_list_in_openai_shape() -> None:
    one = _client().post("/v1/embeddings", json={"input": "two words"}).json()
    assert one["object"] == "list" and one["model"] == "minilm"
    assert one["data"] == [{"object": "embedding", "index": 0, "embedding": [9.0, 0.5, -1.25]}]
    assert one["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    many = _client().post("/v1/embeddings", json={"input": ["a", "bb c"], "model": "minilm"}).json()
    assert [d["index"] for d in many["data"]] == [0, 1] and many["usage"]["prompt_tokens"] == 3


def test_base64_is_little_endian_float32() -> None:
    body = _client().post("/v1/embeddings", json={"input": "abc", "encoding_format": "base64"}).json()
    vector = np.frombuffer(base64.b64decode(body["data"][0]["embedding"]), dtype="<f4")
    assert vector.tolist() == [3.0, 0.5, -1.25]


def test_bad_inputs_are_400_or_404() -> None:
    client = _client()
    for body, status in [({"input": []}, 400), ({"input": ""}, 400), ({"input": [[1, 2]]}, 400),
                         ({"input": "x", "encoding_format": "int8"}, 400), ({"input": "x", "dimensions": 2}, 400),
                         ({"input": "x", "model": "ada"}, 404), ({}, 400)]:
        response = client.post("/v1/embeddings", json=body)
        assert response.status_code == status, (body, response.text)
        assert set(response.json()["error"]) >= {"message", "type", "param", "code"}
