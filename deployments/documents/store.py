"""The DocumentStore replica: documents in LanceDB, embedded through the Embedder, searched three ways.

Handle methods take and return plain data (lists, dicts, strings), so callers never need this
module's types. State lives only in the database, so any number of replicas (on any nodes, with an
object-store URI) serve the same documents, and a restarted replica loses nothing that was
acknowledged. Keyword search never waits for the Embedder; semantic and hybrid embed the query, hybrid
while BM25 runs (two branches of `deployments.parallel.map_actions`, fused by reciprocal rank fusion).
LanceDB calls block, so they run in threads and the replica keeps taking requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import numpy as np

from deployments import errors
from deployments.documents.corpus import check_document, read_jsonl
from deployments.documents.fusion import reciprocal_rank_fusion
from deployments.documents.settings import SEARCH_MODES, DocumentStoreSettings
from deployments.documents.table import ORDERS, DocumentTable, both, filter_clause, ids_clause, utc_now
from deployments.embeddings.chunks import embedded_chunks
from deployments.parallel import Limits, Outcome, map_actions, raise_if_none_succeeded
from deployments.storage import open_database, redacted

logger = logging.getLogger("ray.serve")

MAX_PAGE = 1000


class DocumentStore:
    async def __init__(self, embedder: Any, settings: dict | None = None) -> None:
        # Serve awaits an async constructor: the database is checked and the corpus upserted before the
        # replica is ready. A database that cannot be opened raises StorageError naming the setting.
        self.embedder = embedder
        self.settings = DocumentStoreSettings(**(settings or {}))
        storage = self.settings.storage
        uri = storage.resolved_uri()
        db = await asyncio.to_thread(open_database, uri, storage.storage_options, setting="documents.storage.uri",
                                     read_consistency_s=storage.read_consistency_s)
        self.table = DocumentTable(db, fts_language=self.settings.fts_language, fts_stem=self.settings.fts_stem,
                                   maintain_every=self.settings.maintain_every,
                                   vector_index_min_rows=self.settings.vector_index_min_rows,
                                   nprobes=self.settings.nprobes,
                                   max_vector_segments=self.settings.max_vector_segments)
        logger.info("documents database at %s", redacted(uri))
        if self.settings.corpus_uri:
            started = time.perf_counter()
            docs = await asyncio.to_thread(read_jsonl, self.settings.corpus_uri, self.settings.corpus_storage_options)
            await self.add(docs)
            logger.info("upserted %d documents from %s in %.1fs", len(docs), redacted(self.settings.corpus_uri),
                        time.perf_counter() - started)

    def ready(self) -> dict[str, Any]:
        """For /healthz: the replica is up and its database answers."""
        return {"documents": self.table.count()}

    # --- writes -------------------------------------------------------------------------------------
    async def add(self, documents: list[dict]) -> dict[str, Any]:
        """Upsert documents; answers {"added", "updated", "total", "updated_ids"} once committed.

        `added` counts the ids that were not stored, `updated` the stored ids now replaced (each id once,
        however often the batch repeats it), as read just before the write: two writers adding the same
        new id at the same moment may both count it as added. A document without `metadata` keeps the
        stored metadata; `metadata: null` clears it (see `DocumentTable.upsert`).
        """
        checked = [check_document(doc, f"documents[{i}]") for i, doc in enumerate(documents)]
        ids = list(dict.fromkeys(doc["id"] for doc in checked))
        stored = await asyncio.to_thread(self.table.stored, ids)
        now = utc_now()
        # Embedded a chunk per Embedder call, written a few big commits at a time: each commit is a merge
        # against the whole table, so hundreds of small ones would cost far more than the embedding.
        pending: list[dict] = []
        pending_vectors: list[np.ndarray] = []
        async for chunk, vectors in embedded_chunks(self.embedder.embed.remote, checked, lambda doc: doc["text"],
                                                    self.settings.embed_batch_size):
            pending.extend(chunk)
            pending_vectors.append(vectors)
            if len(pending) >= self.settings.write_batch_size:
                await asyncio.to_thread(self.table.upsert, pending, np.concatenate(pending_vectors), now)
                pending, pending_vectors = [], []
        if pending:
            await asyncio.to_thread(self.table.upsert, pending, np.concatenate(pending_vectors), now)
        updated = [doc_id for doc_id in ids if doc_id in stored]
        return {"added": len(ids) - len(updated), "updated": len(updated), "updated_ids": updated,
                "total": await asyncio.to_thread(self.table.count)}

    async def delete(self, doc_id: str) -> dict[str, Any]:
        """Delete by id: {"id", "deleted": true}; 404 when there is no such document."""
        if not await asyncio.to_thread(self.table.delete, doc_id):
            raise errors.not_found(f"no document with id {doc_id!r}", code="document_not_found")
        return {"id": doc_id, "deleted": True}

    # --- reads --------------------------------------------------------------------------------------
    async def get(self, doc_id: str) -> dict[str, Any] | None:
        """The stored document {"id", "text", "metadata"}, or None."""
        return await asyncio.to_thread(self.table.get, doc_id)

    async def page(self, limit: int = 20, offset: int = 0, filter: dict[str, Any] | None = None,
                   order: str = "id", ids: list[str] | None = None) -> dict[str, Any]:
        """{"documents": [...], "total", "limit", "offset", "order"}: the documents whose metadata matches
        `filter` (and, given `ids`, whose id is one of them), sorted by `order` ("id": A to Z; "added":
        newest first); `total` counts every match."""
        if not 0 <= limit <= MAX_PAGE:
            raise errors.bad_request(f"limit must be between 0 and {MAX_PAGE}", param="limit")
        if offset < 0:
            raise errors.bad_request("offset must not be negative", param="offset")
        if order not in ORDERS:
            raise errors.bad_request(f"order must be one of {', '.join(ORDERS)}", param="order")
        where = both(filter_clause(filter), ids_clause(ids) if ids else None)
        documents, total = await asyncio.to_thread(self.table.page, limit, offset, where, order)
        return {"documents": documents, "total": total, "limit": limit, "offset": offset, "order": order}

    async def count(self) -> int:
        return await asyncio.to_thread(self.table.count)

    async def search(self, query: str, k: int = 5, mode: str = "hybrid",
                     filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The best ``k`` documents for ``query`` as [{"id", "text", "score", "metadata"}], best first."""
        if mode not in SEARCH_MODES:
            raise errors.bad_request(f"mode must be one of {', '.join(SEARCH_MODES)}", param="mode")
        if not query.strip():
            raise errors.bad_request("query must not be empty", param="query")
        if k < 1:
            raise errors.bad_request("k must be at least 1", param="k")
        where = filter_clause(filter)
        if mode == "keyword":
            return await self._keyword(query, k, where)
        if mode == "semantic":
            return await self._semantic(query, k, where)
        return await self._hybrid(query, k, where)

    async def _keyword(self, query: str, k: int, where: str | None) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.table.keyword, query, k, where)

    async def _semantic(self, query: str, k: int, where: str | None) -> list[dict[str, Any]]:
        vector = np.asarray((await self.embedder.embed.remote([query]))[0], dtype=np.float32)
        return await asyncio.to_thread(self.table.semantic, vector, k, where)

    async def _hybrid(self, query: str, k: int, where: str | None) -> list[dict[str, Any]]:
        """Semantic and keyword search as two parallel branches over one query, reduced by RRF.

        BM25 runs while the query is being embedded, so hybrid costs about the slower of the two.
        """
        depth = max(k, self.settings.hybrid_depth)
        actions = {"semantic": lambda q: self._semantic(q, depth, where),
                   "keyword": lambda q: self._keyword(q, depth, where)}
        limits = Limits(timeout_s=self.settings.branch_timeout_s)
        return await map_actions(actions, query, reduce=lambda outcomes: self._fuse(outcomes, k), limits=limits)

    def _fuse(self, outcomes: list[Outcome], k: int) -> list[dict[str, Any]]:
        """RRF over the rankings that came back: with the Embedder down, hybrid degrades to keyword."""
        raise_if_none_succeeded(outcomes, lambda outcome: f"the {outcome.key} ranking of hybrid search")
        for outcome in outcomes:
            if not outcome.ok:
                logger.warning("hybrid search: the %s ranking failed (%r); fusing the others", outcome.key,
                               outcome.error)
        return fuse([outcome.value for outcome in outcomes if outcome.ok], k, self.settings.rrf_k)


def fuse(rankings: list[list[dict[str, Any]]], k: int, rrf_k: int = 60) -> list[dict[str, Any]]:
    """Reciprocal rank fusion of result lists by id; the score becomes the fused RRF score."""
    documents = {hit["id"]: hit for ranking in rankings for hit in ranking}
    fused = reciprocal_rank_fusion([[hit["id"] for hit in ranking] for ranking in rankings], rrf_k)[:k]
    return [{**documents[doc_id], "score": round(score, 6)} for doc_id, score in fused]
