"""Documents through the real Serve app and LanceDB: the shipped corpus upserted at start, upsert, get,
list, delete, metadata filters, odd content in every mode, durability across a killed replica, two
replicas sharing one database, and generated (positive) requests to every document route."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_corpus_uri_was_loaded_at_start(http):
    results = http.post("/v1/documents/search", json={"query": "Krakow office employees", "k": 3,
                                                      "mode": "keyword"}).json()["results"]
    assert results[0]["id"] == "office-krakow" and "210 employees" in results[0]["text"]


def test_add_then_search_in_every_mode(http):
    docs = [{"id": "it-zebra-1", "text": "The zebra printer on floor 4 prints 40 labels per minute."},
            {"id": "it-zebra-2", "text": "Canteen menus rotate every two weeks.", "metadata": {"team": "hr"}}]
    body = http.post("/v1/documents", json={"documents": docs}).json()
    assert body["added"] == 2 and body["total"] >= 38
    for mode in ("keyword", "semantic", "hybrid"):
        reply = http.post("/v1/documents/search", json={"query": "zebra printer labels", "k": 2, "mode": mode})
        assert reply.status_code == 200, reply.text
        results = reply.json()["results"]
        assert len(results) <= 2 and results[0]["id"] == "it-zebra-1", (mode, results)
        assert set(results[0]) == {"id", "text", "score", "metadata"} and results[0]["score"] > 0


def test_semantic_search_finds_meaning_without_shared_words(http):
    results = http.post("/v1/documents/search", json={"query": "holidays off work per year", "k": 3,
                                                      "mode": "semantic"}).json()["results"]
    assert "policy-vacation" in [r["id"] for r in results]


def test_re_adding_an_id_replaces_the_document(http):
    total = http.post("/v1/documents", json={"documents": [{"id": "tmp-replace", "text": "alpha quokka"}]}).json()["total"]
    again = http.post("/v1/documents", json={"documents": [{"id": "tmp-replace", "text": "beta wombat"}]}).json()
    assert again == {"added": 0, "updated": 1, "updated_ids": ["tmp-replace"], "total": total}
    assert http.post("/v1/documents/search", json={"query": "quokka", "mode": "keyword"}).json()["results"] == []
    hits = http.post("/v1/documents/search", json={"query": "wombat", "mode": "keyword"}).json()["results"]
    assert [h["id"] for h in hits] == ["tmp-replace"]


@pytest.mark.parametrize("body, param", [
    ({"query": "", "mode": "keyword"}, "query"),
    ({"query": "   "}, "query"),
    ({"query": "x", "k": 0}, "k"),
    ({"query": "x", "k": 101}, "k"),
    ({"query": "x", "mode": "fuzzy"}, "mode"),
    ({"k": 3}, "query"),
])
def test_bad_search_is_400(http, body, param):
    reply = http.post("/v1/documents/search", json=body)
    assert reply.status_code == 400 and reply.json()["error"]["param"] == param


@pytest.mark.parametrize("body", [
    {"documents": []}, {"documents": [{"id": "x"}]}, {"documents": [{"id": "", "text": "t"}]},
    {"documents": [{"id": "x", "text": "  "}]}, {"docs": []},
])
def test_bad_documents_are_400(http, body):
    reply = http.post("/v1/documents", json=body)
    assert reply.status_code == 400 and reply.json()["error"]["type"] == "invalid_request_error"


def test_get_list_and_delete_return_metadata(http):
    doc = {"id": "meta/one", "text": "Parking permits are renewed each March.", "metadata": {"team": "facilities",
                                                                                          "year": 2024}}
    assert http.post("/v1/documents", json={"documents": [doc]}).status_code == 200
    stored = http.get("/v1/documents/meta/one").json()
    assert {k: stored[k] for k in doc} == doc and stored["added_at"]
    page = http.get("/v1/documents", params={"limit": 1000, "offset": 0}).json()
    assert page["total"] == len(page["documents"]) >= 38 and stored in page["documents"]
    assert http.get("/v1/documents", params={"limit": 2, "offset": 1}).json()["documents"] == page["documents"][1:3]
    hits = http.post("/v1/documents/search", json={"query": "parking permits", "filter": {"team": "facilities"},
                                                   "mode": "hybrid"}).json()["results"]
    assert [h["id"] for h in hits] == ["meta/one"] and hits[0]["metadata"] == doc["metadata"]
    assert http.delete("/v1/documents/meta/one").json() == {"id": "meta/one", "deleted": True}
    missing = http.get("/v1/documents/meta/one")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "document_not_found"
    assert http.delete("/v1/documents/meta/one").status_code == 404


@pytest.mark.parametrize("text", ["the", "x", "word " * 4000, "Zürich 東京 مرحبا 🦜", "'; DROP TABLE documents; --"])
def test_odd_content_is_stored_and_searchable_in_every_mode(http, text):
    assert http.post("/v1/documents", json={"documents": [{"id": "odd-content", "text": text}]}).status_code == 200
    assert http.get("/v1/documents/odd-content").json()["text"] == text
    for mode in ("keyword", "semantic", "hybrid"):
        reply = http.post("/v1/documents/search", json={"query": text[:2000], "k": 100, "mode": mode})
        assert reply.status_code == 200, (mode, reply.text)
        assert "odd-content" in [h["id"] for h in reply.json()["results"]], mode
    for query in ("statue", "the of and", "!!!", 'AND OR "(*'):
        assert http.post("/v1/documents/search", json={"query": query, "mode": "keyword"}).status_code == 200


@pytest.mark.parametrize("request_args, param", [
    (("post", "/v1/documents/search", {"json": {"query": "x", "filter": {"team": {"nested": 1}}}}), "filter"),
    (("post", "/v1/documents/search", {"json": {"query": "x", "filter": ["team"]}}), "filter"),
    (("get", "/v1/documents", {"params": {"limit": -1}}), "limit"),
    (("get", "/v1/documents", {"params": {"limit": 5000}}), "limit"),
    (("get", "/v1/documents", {"params": {"offset": "x"}}), "offset"),
    (("get", "/v1/documents/" + "i" * 300, {}), "id"),
    (("post", "/v1/documents", {"content": '{"documents": [{"id": "a", "text": "\\ud800"}]}',
                                "headers": {"content-type": "application/json"}}), None),
])
def test_bad_ids_filters_and_paging_are_400(http, request_args, param):
    method, path, kwargs = request_args
    reply = getattr(http, method)(path, **kwargs)
    assert reply.status_code == 400, reply.text
    assert param is None or param in reply.json()["error"]["param"]


def _document_replicas() -> list[str]:
    import ray

    return sorted(actor["name"] for actor in ray.util.list_named_actors(all_namespaces=True)
                  if actor["name"].startswith("SERVE_REPLICA::medici#DocumentStore#"))


def _wait_for_replicas(http, count: int, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(_document_replicas()) == count and http.get("/healthz").status_code == 200:
            return
        time.sleep(1)
    raise AssertionError(f"DocumentStore did not come back to {count} replicas")


def test_two_replicas_see_each_others_writes(http):
    assert len(_document_replicas()) == 2  # the session app runs two DocumentStore replicas on one database
    for i in range(10):
        doc = {"id": f"shared-{i}", "text": f"replica sharing check number {i}"}
        assert http.post("/v1/documents", json={"documents": [doc]}).status_code == 200
        for _ in range(4):  # reads land on either replica; every one must see the write
            assert http.get(f"/v1/documents/shared-{i}").json()["text"] == doc["text"]


def test_every_acknowledged_write_survives_killing_the_replicas(base_url, http):
    """A burst of single-document writes while every DocumentStore replica is killed: each 200 is kept."""
    import ray

    def write(i: int) -> tuple[str, int, float]:
        doc = {"id": f"burst-{i}", "text": f"burst document {i} about durable storage"}
        try:
            status = httpx.post(f"{base_url}/v1/documents", json={"documents": [doc]}, timeout=150).status_code
        except httpx.HTTPError:
            status = -1
        return doc["id"], status, time.monotonic()

    replicas = _document_replicas()
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(write, i) for i in range(160)]
        while sum(future.done() for future in futures) < 30:  # the burst is well under way
            time.sleep(0.05)
        for name in replicas:
            ray.kill(ray.get_actor(name, namespace="serve"), no_restart=True)
        killed_at = time.monotonic()
        results = [future.result() for future in futures]
    assert any(finished > killed_at for _, _, finished in results)  # the kill fell inside the burst
    acknowledged = [doc_id for doc_id, status, _ in results if status == 200]
    refused = [status for _, status, _ in results if status != 200]
    assert all(status in (503, 504, -1) for status in refused), refused  # never a 500
    _wait_for_replicas(http, len(replicas))
    assert set(_document_replicas()).isdisjoint(replicas)  # Serve started new ones
    print(f"{len(acknowledged)} acknowledged, {len(refused)} refused around the kill")
    for doc_id in acknowledged:
        reply = http.get(f"/v1/documents/{doc_id}")
        assert reply.status_code == 200, (doc_id, reply.text)
    page = http.get("/v1/documents", params={"limit": 1000}).json()
    ids = [doc["id"] for doc in page["documents"]]
    assert len(ids) == len(set(ids)) == page["total"]  # no duplicate rows from retried writes


def test_document_routes_hold_their_schema_under_generated_requests(base_url):
    """Positive generated cases for every document route: stored, found, never a 500 or a schema violation."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    from tests.integration.test_hostile_input import CHECKS, _cheap

    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/v1/documents")]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /v1/documents", "GET /v1/documents", "POST /v1/documents/search", "GET /v1/documents/{doc_id}",
        "DELETE /v1/documents/{doc_id}"}
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            case.body = _cheap(case.body)
            case.call_and_validate(timeout=120, checks=CHECKS)

        run()


def test_writes_are_counted_honestly_and_metadata_left_out_is_kept(http):
    first = http.post("/v1/documents", json={"documents": [
        {"id": "honest-1", "text": "The print room opens at nine.", "metadata": {"team": "prints"}},
        {"id": "honest-2", "text": "Loans need a condition report."}]}).json()
    assert (first["added"], first["updated"]) == (2, 0)
    again = http.post("/v1/documents", json={"documents": [
        {"id": "honest-1", "text": "The print room opens at ten."},  # metadata left out: kept
        {"id": "honest-3", "text": "Frames are checked every spring."}]}).json()
    assert (again["added"], again["updated"], again["updated_ids"]) == (1, 1, ["honest-1"])
    assert again["total"] == first["total"] + 1
    kept = http.get("/v1/documents/honest-1").json()
    assert kept["text"] == "The print room opens at ten." and kept["metadata"] == {"team": "prints"}
    assert http.post("/v1/documents", json={"documents": [
        {"id": "honest-1", "text": "The print room opens at ten.", "metadata": None}]}).json()["updated"] == 1
    assert http.get("/v1/documents/honest-1").json()["metadata"] == {}  # explicit null: cleared


def test_browse_honours_filter_page_size_order_and_shows_the_time_added(http):
    docs = [{"id": f"browse-{c}", "text": f"Browse note {c}.", "metadata": {"browse": "yes"}} for c in "cab"]
    for doc in docs:  # one write each: c, then a, then b is the newest
        assert http.post("/v1/documents", json={"documents": [doc]}).status_code == 200
    page = http.get("/v1/documents", params={"filter": '{"browse": "yes"}', "limit": 2}).json()
    assert page["total"] == 3 and [d["id"] for d in page["documents"]] == ["browse-a", "browse-b"]
    rest = http.get("/v1/documents", params={"filter": '{"browse": "yes"}', "limit": 2, "offset": 2}).json()
    assert [d["id"] for d in rest["documents"]] == ["browse-c"]
    newest = http.get("/v1/documents", params={"filter": '{"browse": "yes"}', "order": "added"}).json()
    assert [d["id"] for d in newest["documents"]] == ["browse-b", "browse-a", "browse-c"]
    assert all(d["added_at"] for d in newest["documents"]) and newest["order"] == "added"
    known = http.get("/v1/documents", params=[("ids", "browse-a"), ("ids", "browse-nope")]).json()
    assert [d["id"] for d in known["documents"]] == ["browse-a"]
    bad = http.get("/v1/documents", params={"filter": "browse=yes"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "filter"
