"""The DocumentStore over a real LanceDB directory with a fake Embedder: odd content in every mode,
get/list/delete, metadata filters, two replicas on one database, concurrent writers. No Ray."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from deployments.documents.store import DocumentStore
from deployments.documents.table import DocumentTable, filter_clause
from deployments.errors import ServiceError
from deployments.storage import open_database
from tests.unit.documents.test_document_store_hybrid import FakeEmbedder


def _vector(text: str) -> list[float]:
    """A bag-of-code-points unit vector that is never zero, whatever the script (unlike a-z counts)."""
    counts = np.zeros(32, dtype=np.float32)
    counts[31] = 0.5
    for char in text.lower():
        counts[ord(char) % 31] += 1
    return (counts / np.linalg.norm(counts)).tolist()


class AnyScriptEmbedder(FakeEmbedder):
    async def _embed(self, texts: list[str]) -> list[list[float]]:
        return [_vector(text) for text in texts]

MODES = ("keyword", "semantic", "hybrid")
ODD_IDS = ["it's", 'quo"te', "back\\slash", "new\nline", "ünï/cødé 🦜", "%_like", "semi;colon--", "x" * 256]


def _replica(tmp_path) -> DocumentStore:
    async def build():
        store = DocumentStore.__new__(DocumentStore)
        await store.__init__(AnyScriptEmbedder(), {"storage": {"data_dir": str(tmp_path)}, "branch_timeout_s": 5})
        return store

    return asyncio.run(build())


def _run(coroutine):
    return asyncio.run(coroutine)


def test_stop_word_only_store_answers_keyword_search(tmp_path):
    """The fuzz-found 500: a store holding only "the" answered every keyword search with 500."""
    store = _replica(tmp_path)
    _run(store.add([{"id": "s", "text": "the"}]))
    assert _run(store.search("statue", mode="keyword")) == []
    assert [hit["id"] for hit in _run(store.search("the", mode="keyword"))] == ["s"]


@pytest.mark.parametrize("text", ["the and of", "x", "é", "Zürich 東京 مرحبا 🦜 emoji", "word " * 4000,
                                  "'; DROP TABLE documents; --", 'AND OR NOT "(*', "\u200b zero\twidth\x00nul"])
def test_odd_content_is_stored_and_found_in_every_mode(tmp_path, text):
    store = _replica(tmp_path)
    _run(store.add([{"id": "odd", "text": text, "metadata": {"k": text[:50]}}]))
    assert _run(store.get("odd"))["text"] == text
    for mode in MODES:
        hits = _run(store.search(text[:2000], k=3, mode=mode))
        if mode != "keyword" or any(ch.isalnum() for ch in text):
            assert [hit["id"] for hit in hits] == ["odd"], (mode, hits)


def test_odd_ids_round_trip_through_get_delete_and_filters(tmp_path):
    store = _replica(tmp_path)
    docs = [{"id": doc_id, "text": f"document number {i}", "metadata": {"tag": doc_id}} for i, doc_id in
            enumerate(ODD_IDS)]
    assert _run(store.add(docs)) == {"added": len(docs), "updated": 0, "updated_ids": [], "total": len(docs)}
    for doc in docs:
        stored = _run(store.get(doc["id"]))
        assert {k: stored[k] for k in doc} == doc and stored["added_at"]
        hits = _run(store.search("document number", k=20, mode="keyword", filter={"tag": doc["id"]}))
        assert [hit["id"] for hit in hits] == [doc["id"]]
    assert _run(store.delete("it's")) == {"id": "it's", "deleted": True}
    assert _run(store.get("it's")) is None and _run(store.count()) == len(docs) - 1
    with pytest.raises(ServiceError) as missing:
        _run(store.delete("it's"))
    assert missing.value.status == 404


def test_metadata_filter_matches_top_level_values_exactly(tmp_path):
    store = _replica(tmp_path)
    _run(store.add([
        {"id": "a", "text": "budget report", "metadata": {"team": "finance", "year": 2024, "final": True}},
        {"id": "b", "text": "budget report", "metadata": {"team": "finance", "year": 2023.0}},
        {"id": "c", "text": "budget report", "metadata": {"nested": {"team": "finance"}}},
        {"id": "d", "text": "budget report", "metadata": {"team": "fin"}},
    ]))
    for mode in MODES:
        found = lambda f: sorted(hit["id"] for hit in _run(store.search("budget report", k=10, mode=mode, filter=f)))
        assert found({"team": "finance"}) == ["a", "b"], mode
        assert found({"team": "finance", "year": 2023}) == ["b"], mode
        assert found({"final": True}) == ["a"], mode
        assert found({"team": "nobody"}) == [], mode
    hit = _run(store.search("budget", k=1, mode="keyword", filter={"final": True}))[0]
    assert hit["metadata"] == {"team": "finance", "year": 2024, "final": True}


def test_a_filter_on_a_nested_value_is_400():
    with pytest.raises(ServiceError) as bad:
        filter_clause({"team": {"name": "x"}})
    assert bad.value.status == 400 and bad.value.param == "filter"


def test_paged_listing_has_the_total(tmp_path):
    store = _replica(tmp_path)
    _run(store.add([{"id": f"d{i}", "text": f"text {i}", "metadata": {"i": i}} for i in range(7)]))
    first, rest = _run(store.page(limit=5, offset=0)), _run(store.page(limit=5, offset=5))
    assert first["total"] == rest["total"] == 7 and len(first["documents"]) == 5 and len(rest["documents"]) == 2
    assert sorted(d["id"] for d in first["documents"] + rest["documents"]) == [f"d{i}" for i in range(7)]
    assert all(d["metadata"] == {"i": int(d["id"][1:])} for d in first["documents"])
    assert _run(store.page(limit=5, offset=100))["documents"] == []


def test_two_replicas_see_each_others_writes_and_deletes(tmp_path):
    one, two = _replica(tmp_path), _replica(tmp_path)
    _run(one.add([{"id": "from-one", "text": "written by replica one"}]))
    assert _run(two.get("from-one"))["text"] == "written by replica one"
    assert [hit["id"] for hit in _run(two.search("replica one", mode="keyword"))] == ["from-one"]
    _run(two.add([{"id": "from-one", "text": "replaced by replica two"}]))
    assert _run(one.get("from-one"))["text"] == "replaced by replica two" and _run(one.count()) == 1
    _run(two.delete("from-one"))
    assert _run(one.get("from-one")) is None


def test_concurrent_writers_lose_and_duplicate_nothing(tmp_path):
    """Four "replicas" (own connections) upsert overlapping ids at once; every id ends up stored once."""
    tables = [DocumentTable(open_database(str(tmp_path / "db"))) for _ in range(4)]
    tables[0].upsert([{"id": "seed", "text": "seed"}], np.asarray([_vector("seed")]))
    failures: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for batch in range(5):
                ids = [f"w{w}-b{batch}-{i}" for i in range(10)] + [f"shared-{batch}"]
                docs = [{"id": doc_id, "text": f"text of {doc_id}"} for doc_id in ids]
                tables[w].upsert(docs, np.asarray([_vector(d["text"]) for d in docs]))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    fresh = DocumentTable(open_database(str(tmp_path / "db")))
    ids = [doc["id"] for doc in fresh.page(limit=1000, offset=0)[0]]
    assert len(ids) == len(set(ids)) == 1 + 4 * 5 * 10 + 5


def test_upkeep_folds_writes_into_indexes_without_losing_any(tmp_path):
    table = DocumentTable(open_database(str(tmp_path / "db")), maintain_every=10**9, vector_index_min_rows=256)
    for i in range(300):
        table.upsert([{"id": f"d{i}", "text": f"note {i} about topic{i % 7}"}], np.asarray([_vector(f"note {i}")]))
    table.maintain()
    assert table.count() == 300
    assert any(index.columns == ["vector"] for index in table.table().list_indices())
    assert {hit["id"] for hit in table.keyword("topic3", 100)} == {f"d{i}" for i in range(300) if i % 7 == 3}
    assert table.semantic(np.asarray(_vector("note 5")), 1)[0]["score"] > 0.9


def test_upkeep_retrains_the_vector_index_past_its_segment_limit(tmp_path):
    table = DocumentTable(open_database(str(tmp_path / "db")), maintain_every=10**9, vector_index_min_rows=256,
                          max_vector_segments=2)
    table.upsert([{"id": f"d{i}", "text": f"note {i}"} for i in range(300)],
                 np.asarray([_vector(f"note {i}") for i in range(300)]))
    table.maintain()
    segments = []
    for round_ in range(4):
        table.upsert([{"id": f"r{round_}", "text": f"round {round_}"}], np.asarray([_vector(f"round {round_}")]))
        table.maintain()
        segments.append(table.table().index_stats("vector_idx").num_indices)
    assert max(segments) <= 2 and table.table().index_stats("vector_idx").num_unindexed_rows == 0
    assert table.semantic(np.asarray(_vector("round 3")), 1)[0]["id"] == "r3"
