"""The DocumentStore replica: embeds documents through the Embedder, searches them three ways.

Handle methods take and return plain data (lists, dicts, strings), so callers never need this
module's types. Keyword search never waits for the Embedder; semantic and hybrid embed the query.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from deployments import errors
from deployments.documents.corpus import check_document, read_jsonl
from deployments.documents.index import DocumentIndex
from deployments.documents.settings import SEARCH_MODES, DocumentStoreSettings

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
        batch = self.settings.embed_batch_size
        for start in range(0, len(checked), batch):
            chunk = checked[start:start + batch]
            vectors = await self.embedder.embed.remote([doc["text"] for doc in chunk])
            self.index.add(chunk, np.asarray(vectors, dtype=np.float32))
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
            return self.index.results(self.index.keyword(query, k))
        vector = np.asarray((await self.embedder.embed.remote([query]))[0], dtype=np.float32)
        if mode == "semantic":
            return self.index.results(self.index.semantic(vector, k))
        return self.index.results(self.index.hybrid(query, vector, k))

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The stored document {"id", "text", "metadata"}, or None."""
        return self.index.get(doc_id)

    def count(self) -> int:
        return len(self.index)
