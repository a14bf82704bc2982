"""Honest writes and browsing over a real LanceDB directory (no Ray): the upsert counts new and replaced
ids apart, metadata left out is kept and null clears it, `added_at` survives a replace, and the
listing honours its filter, page size, order and id list."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from deployments.documents.table import DocumentTable
from deployments.errors import ServiceError
from deployments.storage import open_database
from tests.unit.documents.test_store import _replica, _run, _vector


def test_upsert_counts_added_and_updated_separately(tmp_path):
    store = _replica(tmp_path)
    first = _run(store.add([{"id": "a", "text": "apples"}, {"id": "b", "text": "bananas"}]))
    assert (first["added"], first["updated"], first["total"]) == (2, 0, 2)
    again = _run(store.add([{"id": "b", "text": "blueberries"}, {"id": "c", "text": "cherries"},
                            {"id": "c", "text": "cherries, twice in one batch"}]))
    assert (again["added"], again["updated"], again["updated_ids"], again["total"]) == (1, 1, ["b"], 3)
    assert _run(store.get("b"))["text"] == "blueberries"
    assert _run(store.get("c"))["text"] == "cherries, twice in one batch"


def test_metadata_left_out_is_kept_and_null_clears_it(tmp_path):
    store = _replica(tmp_path)
    _run(store.add([{"id": "a", "text": "first", "metadata": {"team": "finance"}}]))
    _run(store.add([{"id": "a", "text": "second"}]))  # no metadata key: kept
    kept = _run(store.get("a"))
    assert kept["text"] == "second" and kept["metadata"] == {"team": "finance"}
    assert [hit["id"] for hit in _run(store.search("second", mode="keyword", filter={"team": "finance"}))] == ["a"]
    _run(store.add([{"id": "a", "text": "third", "metadata": None}]))  # explicit null: cleared
    assert _run(store.get("a"))["metadata"] == {}
    assert _run(store.search("third", mode="keyword", filter={"team": "finance"})) == []
    _run(store.add([{"id": "a", "text": "fourth", "metadata": {"team": "legal"}}]))  # an object replaces
    assert _run(store.get("a"))["metadata"] == {"team": "legal"}


def test_added_at_is_kept_on_replace_and_updated_at_moves(tmp_path):
    store = _replica(tmp_path)
    _run(store.add([{"id": "a", "text": "first"}]))
    before = _run(store.get("a"))
    time.sleep(0.01)
    _run(store.add([{"id": "a", "text": "second"}]))
    after = _run(store.get("a"))
    assert before["added_at"] and after["added_at"] == before["added_at"]
    assert after["updated_at"] > before["updated_at"]


def test_browse_honours_filter_page_size_and_order(tmp_path):
    store = _replica(tmp_path)
    for doc_id in ("m", "z", "a", "k"):  # added one at a time: m oldest, k newest
        _run(store.add([{"id": doc_id, "text": f"text {doc_id}", "metadata": {"lang": "en" if doc_id != "z" else "fr"}}]))
        time.sleep(0.002)
    by_id = _run(store.page(limit=2, offset=0))
    assert [d["id"] for d in by_id["documents"]] == ["a", "k"] and by_id["total"] == 4
    assert [d["id"] for d in _run(store.page(limit=2, offset=2))["documents"]] == ["m", "z"]
    newest = _run(store.page(limit=10, offset=0, order="added"))
    assert [d["id"] for d in newest["documents"]] == ["k", "a", "z", "m"]
    assert all(d["added_at"] for d in newest["documents"])
    english = _run(store.page(limit=2, offset=0, filter={"lang": "en"}))
    assert english["total"] == 3 and [d["id"] for d in english["documents"]] == ["a", "k"]
    assert [d["id"] for d in _run(store.page(limit=2, offset=2, filter={"lang": "en"}))["documents"]] == ["m"]
    known = _run(store.page(limit=10, offset=0, ids=["z", "nope", "a"]))
    assert [d["id"] for d in known["documents"]] == ["a", "z"] and known["total"] == 2


def test_browse_rejects_an_unknown_order(tmp_path):
    store = _replica(tmp_path)
    with pytest.raises(ServiceError) as bad:
        _run(store.page(order="size"))
    assert bad.value.status == 400 and bad.value.param == "order"


def test_a_table_made_before_the_times_gets_them(tmp_path):
    """A database written by an older version (no added_at/updated_at columns) still opens, lists and upserts."""
    import pyarrow as pa

    db = open_database(str(tmp_path))
    old = pa.schema([pa.field("id", pa.string(), nullable=False), ("text", pa.string()), ("metadata", pa.string()),
                     ("pairs", pa.list_(pa.string())), ("vector", pa.list_(pa.float32(), 32))])
    db.create_table("documents", pa.Table.from_pylist(
        [{"id": "old", "text": "stored long ago", "metadata": "{}", "pairs": [], "vector": _vector("old")}],
        schema=old))
    table = DocumentTable(open_database(str(tmp_path)))
    assert table.get("old")["added_at"] is None
    table.upsert([{"id": "new", "text": "stored now"}], np.asarray([_vector("new")]))
    documents, total = table.page(10, 0, order="added")
    assert total == 2 and [d["id"] for d in documents] == ["new", "old"]
    assert documents[0]["added_at"] is not None
    asyncio.run(asyncio.sleep(0))
