"""The DocumentStore replica: embeds documents through the Embedder, searches them three ways.

Handle methods take and return plain data (lists, dicts, strings), so callers never need this
module's types. Keyword search never waits for the Embedder; semantic and hybrid embed the query, hybrid
while BM25 runs (two branches of `deployments.parallel.map_actions`, fused by reciprocal rank fusion).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import numpy as np

from deployments import errors
from deployments.documents.corpus import check_document, read_jsonl
from deployments.documents.index import DocumentIndex
from deployments.documents.settings import SEARCH_MODES, DocumentStoreSettings
from deployments.embeddings.chunks import embedded_chunks
from deployments.parallel import Limits, Outcome, map_actions, raise_if_none_succeeded

logger = logging.getLogger("ray.serve")


class DocumentStore:
    async def __init__(self, embedder: Any, settings: dict | None = None) -> None:
        # Serve awaits an async constructor, so the corpus is embedded before the replica is ready.
        self.embedder = embedder
        self.settings = DocumentStoreSettings(**(settings or {}))
        self.index = DocumentIndex(rrf_k=self.settings.rrf_k, hybrid_depth=self.settings.hybrid_depth)
        if self.settings.corpus_uri:
            started = time.perf_counter()
            result = await self.add(read_jsonl(self.settings.corpus_uri))
            logger.info("loaded %d documents from %s in %.1fs", result["total"], self.settings.corpus_uri,
                        time.perf_counter() - started)

    async def add(self, documents: list[dict]) -> dict[str, int]:
        """Add documents; an id already stored is replaced. Returns {"added", "total"}."""
        checked = [check_document(doc, f"documents[{i}]") for i, doc in enumerate(documents)]
        async for chunk, vectors in embedded_chunks(self.embedder.embed.remote, checked, lambda doc: doc["text"],
                                                    self.settings.embed_batch_size):
            self.index.add(chunk, vectors)
        return {"added": len(checked), "total": len(self.index)}

    async def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[dict[str, Any]]:
        """The best ``k`` documents for ``query`` as [{"id", "text", "score"}], best first."""
        if mode not in SEARCH_MODES:
            raise errors.bad_request(f"mode must be one of {', '.join(SEARCH_MODES)}", param="mode")
        if not query.strip():
            raise errors.bad_request("query must not be empty", param="query")
        if k < 1:
            raise errors.bad_request("k must be at least 1", param="k")
        if mode == "keyword":
            return self.index.results(await self._keyword(query, k))
        if mode == "semantic":
            return self.index.results(await self._semantic(query, k))
        return self.index.results(await self._hybrid(query, k))

    async def _keyword(self, query: str, k: int) -> list[tuple[int, float]]:
        # In a thread: a search after new documents rebuilds the BM25 index first (~1 s per 100k docs).
        return await asyncio.to_thread(self.index.keyword, query, k)

    async def _semantic(self, query: str, k: int) -> list[tuple[int, float]]:
        vector = np.asarray((await self.embedder.embed.remote([query]))[0], dtype=np.float32)
        return self.index.semantic(vector, k)

    async def _hybrid(self, query: str, k: int) -> list[tuple[int, float]]:
        """Semantic and keyword search as two parallel branches over one query, reduced by RRF.

        BM25 runs while the query is being embedded, so hybrid costs about the slower of the two.
        """
        depth = self.index.depth(k)
        actions = {"semantic": lambda q: self._semantic(q, depth), "keyword": lambda q: self._keyword(q, depth)}
        limits = Limits(timeout_s=self.settings.branch_timeout_s)
        return await map_actions(actions, query, reduce=lambda outcomes: self._fuse(outcomes, k), limits=limits)

    def _fuse(self, outcomes: list[Outcome], k: int) -> list[tuple[int, float]]:
        """RRF over the rankings that came back: with the Embedder down, hybrid degrades to keyword."""
        raise_if_none_succeeded(outcomes, lambda outcome: f"the {outcome.key} ranking of hybrid search")
        for outcome in outcomes:
            if not outcome.ok:
                logger.warning("hybrid search: the %s ranking failed (%r); fusing the others", outcome.key,
                               outcome.error)
        return self.index.fuse([outcome.value for outcome in outcomes if outcome.ok], k)

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The stored document {"id", "text", "metadata"}, or None."""
        return self.index.get(doc_id)

    def count(self) -> int:
        return len(self.index)
