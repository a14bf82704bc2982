"""Hybrid search in the DocumentStore replica: two parallel branches (query embedding + semantic,
BM25 keyword) reduced by reciprocal rank fusion. A fake Embedder stands in for the handle; no Ray."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from deployments.documents.store import DocumentStore, fuse

DOCS = [{"id": "rev", "text": "Acme revenue grew to 118 million dollars in 2023"},
        {"id": "cat", "text": "The office cat sleeps on the server rack"},
        {"id": "board", "text": "Quarterly revenue report for the board of directors"},
        {"id": "lyon", "text": "The Lyon office has 120 employees"}]


def _vector(text: str) -> list[float]:
    """A deterministic bag-of-letters unit vector: similar texts get similar vectors."""
    counts = np.zeros(26, dtype=np.float32)
    for char in text.lower():
        if "a" <= char <= "z":
            counts[ord(char) - 97] += 1
    return (counts / (np.linalg.norm(counts) or 1.0)).tolist()


class _Call:
    def __init__(self, coroutine):
        self._coroutine = coroutine

    def __await__(self):
        return self._coroutine.__await__()


class FakeEmbedder:
    """Looks like a handle: ``embed.remote(texts)`` is awaitable. Query calls can be made to fail or wait."""

    def __init__(self) -> None:
        self.fail_queries = False
        self.before_query = None  # an async hook run before a query is embedded
        self.embed = self

    def remote(self, texts: list[str]) -> _Call:
        return _Call(self._embed(texts))

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        if len(texts) == 1 and self.before_query is not None:
            await self.before_query()
        if len(texts) == 1 and self.fail_queries:
            raise RuntimeError("embedder replica died")
        return [_vector(text) for text in texts]


async def _store(tmp_path) -> tuple[DocumentStore, FakeEmbedder]:
    embedder = FakeEmbedder()
    store = DocumentStore.__new__(DocumentStore)
    await store.__init__(embedder, {"branch_timeout_s": 5, "storage": {"data_dir": str(tmp_path)}})  # an async constructor, awaited as Serve does
    await store.add(DOCS)
    return store, embedder


def test_hybrid_through_branches_equals_the_in_process_fusion(tmp_path):
    async def scenario():
        store, _ = await _store(tmp_path)
        served = await store.search("revenue report", k=3, mode="hybrid")
        vector = np.asarray(_vector("revenue report"), dtype=np.float32)
        expected = fuse([store.table.semantic(vector, 50), store.table.keyword("revenue report", 50)], 3)
        return served, expected

    served, expected = asyncio.run(scenario())
    assert served == expected
    assert {hit["id"] for hit in served[:2]} == {"rev", "board"}  # both rankings agree on these


def test_keyword_runs_while_the_query_is_being_embedded(tmp_path):
    """Each branch waits for the other to have started: run one after the other, a wait would time out."""

    async def scenario():
        store, embedder = await _store(tmp_path)
        keyword_started, embedding_started = threading.Event(), threading.Event()
        waits: dict[str, bool] = {}
        keyword = store.table.keyword

        def keyword_waiting_for_embedding(query, k, where):
            keyword_started.set()
            waits["keyword saw the embedding start"] = embedding_started.wait(2)
            return keyword(query, k, where)

        async def embedding_waiting_for_keyword():
            embedding_started.set()
            waits["embedding saw the keyword search start"] = await asyncio.to_thread(keyword_started.wait, 2)

        store.table.keyword = keyword_waiting_for_embedding
        embedder.before_query = embedding_waiting_for_keyword
        return await store.search("Lyon employees", k=2, mode="hybrid"), waits

    hits, waits = asyncio.run(scenario())
    assert waits == {"keyword saw the embedding start": True, "embedding saw the keyword search start": True}
    assert hits[0]["id"] == "lyon"


def test_hybrid_falls_back_to_keyword_when_the_embedder_fails(tmp_path):
    async def scenario():
        store, embedder = await _store(tmp_path)
        embedder.fail_queries = True
        return (await store.search("Lyon employees", k=2, mode="hybrid"),
                await store.search("Lyon employees", k=2, mode="keyword"))

    hybrid, keyword = asyncio.run(scenario())
    assert [hit["id"] for hit in hybrid] == [hit["id"] for hit in keyword] == ["lyon"]


def test_hybrid_raises_when_both_rankings_fail(tmp_path):
    async def scenario():
        store, embedder = await _store(tmp_path)
        embedder.fail_queries = True

        def broken(query, k, where):
            raise ValueError("index corrupted")

        store.table.keyword = broken
        await store.search("revenue", k=2, mode="hybrid")

    with pytest.raises(RuntimeError, match="embedder replica died"):
        asyncio.run(scenario())
