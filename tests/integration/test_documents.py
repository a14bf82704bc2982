"""Documents through the real Serve app: the shipped corpus loaded at start, bulk add, three search modes."""

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
        assert set(results[0]) == {"id", "text", "score"} and results[0]["score"] > 0


def test_semantic_search_finds_meaning_without_shared_words(http):
    results = http.post("/v1/documents/search", json={"query": "holidays off work per year", "k": 3,
                                                      "mode": "semantic"}).json()["results"]
    assert "policy-vacation" in [r["id"] for r in results]


def test_re_adding_an_id_replaces_the_document(http):
    total = http.post("/v1/documents", json={"documents": [{"id": "tmp-replace", "text": "alpha quokka"}]}).json()["total"]
    again = http.post("/v1/documents", json={"documents": [{"id": "tmp-replace", "text": "beta wombat"}]}).json()
    assert again == {"added": 1, "total": total}
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
