"""The document routes alone, with a DocumentStore handle over a real LanceDB directory and a fake
Embedder: shapes, 404s and 400s for bad ids, filters, paging and text. No Ray."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.documents.store import DocumentStore
from tests.unit.documents.test_store import AnyScriptEmbedder
from tests.unit.api.test_ingress_app import FakeLLMHandle


class _Method:
    def __init__(self, method) -> None:
        self.method = method

    def remote(self, *args):
        result = self.method(*args)
        return result if asyncio.iscoroutine(result) else _done(result)


async def _done(value):
    return value


class StoreHandle:
    """Looks like the DocumentStore handle: `handle.method.remote(...)` is awaitable."""

    def __init__(self, store: DocumentStore) -> None:
        for name in ("add", "get", "page", "delete", "search", "ready"):
            setattr(self, name, _Method(getattr(store, name)))


@pytest.fixture()
def client(tmp_path):
    async def build():
        store = DocumentStore.__new__(DocumentStore)
        await store.__init__(AnyScriptEmbedder(), {"storage": {"data_dir": str(tmp_path)}})
        return store

    store = asyncio.run(build())
    services = Services(settings=IngressSettings(health_timeout_s=5), llm=FakeLLMHandle(), embedder=None,
                        documents=StoreHandle(store))
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def test_upsert_get_list_search_delete(client):
    doc = {"id": "a/b c", "text": "the quarterly budget", "metadata": {"team": "finance"}}
    assert client.post("/v1/documents", json={"documents": [doc]}).json() == {
        "added": 1, "updated": 0, "total": 1, "updated_ids": []}
    stored = client.get("/v1/documents/a/b c").json()
    assert {k: stored[k] for k in doc} == doc and stored["added_at"]
    page = client.get("/v1/documents").json()
    assert page == {"documents": [stored], "total": 1, "limit": 20, "offset": 0, "order": "id"}
    assert client.post("/v1/documents", json={"documents": [{"id": "a/b c", "text": "the revised budget"}]}
                       ).json() == {"added": 0, "updated": 1, "total": 1, "updated_ids": ["a/b c"]}
    assert client.get("/v1/documents/a/b c").json()["metadata"] == {"team": "finance"}  # left out: kept
    assert client.get("/v1/documents", params={"filter": '{"team": "legal"}'}).json()["total"] == 0
    hits = client.post("/v1/documents/search", json={"query": "budget", "mode": "keyword",
                                                     "filter": {"team": "finance"}}).json()["results"]
    assert [(h["id"], h["metadata"]) for h in hits] == [("a/b c", {"team": "finance"})]
    assert client.delete("/v1/documents/a/b c").json() == {"id": "a/b c", "deleted": True}
    assert client.get("/v1/documents/a/b c").status_code == 404
    assert client.get("/healthz").json()["documents"] == 0


def test_a_store_of_stop_words_answers_keyword_search(client):
    client.post("/v1/documents", json={"documents": [{"id": "s", "text": "the"}]})
    reply = client.post("/v1/documents/search", json={"query": "statue", "mode": "keyword"})
    assert reply.status_code == 200 and reply.json() == {"results": []}


@pytest.mark.parametrize("method, path, kwargs, param", [
    ("get", "/v1/documents/" + "x" * 257, {}, "id"),
    ("delete", "/v1/documents/" + "x" * 257, {}, "id"),
    ("get", "/v1/documents", {"params": {"limit": 1001}}, "limit"),
    ("get", "/v1/documents", {"params": {"offset": -1}}, "offset"),
    ("get", "/v1/documents", {"params": {"filter": "team=finance"}}, "filter"),
    ("get", "/v1/documents", {"params": {"filter": '{"a": [1]}'}}, "filter"),
    ("get", "/v1/documents", {"params": {"order": "size"}}, "order"),
    ("post", "/v1/documents/search", {"json": {"query": "x", "filter": {"a": [1]}}}, "filter"),
    ("post", "/v1/documents/search", {"json": {"query": "x", "filter": "team"}}, "filter"),
    ("post", "/v1/documents", {"content": b'{"documents": [{"id": "\\ud800", "text": "t"}]}'}, None),
])
def test_bad_input_is_400_naming_the_field(client, method, path, kwargs, param):
    headers = {"content-type": "application/json"} if "content" in kwargs else {}
    reply = getattr(client, method)(path, headers=headers, **kwargs)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["type"] == "invalid_request_error"
    assert param is None or param in (reply.json()["error"]["param"] or "")


def test_deleting_an_unknown_id_is_404(client):
    reply = client.delete("/v1/documents/nope")
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "document_not_found"


class _BrokenStore:
    def __init__(self) -> None:
        self.ready = _Method(self._ready)

    async def _ready(self):
        raise RuntimeError("no replica")


def test_healthz_is_503_while_the_document_store_is_down():
    services = Services(settings=IngressSettings(health_timeout_s=1), llm=FakeLLMHandle(), embedder=None,
                        documents=_BrokenStore())
    reply = TestClient(build_fastapi_app(services), raise_server_exceptions=False).get("/healthz")
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "documents_not_ready"
