"""Saved topics: a finished run's topics with their document centroids, and new documents assigned to them.

Relabelling a whole corpus to place a few new documents would cost one LLM call per document
already seen. A finished job keeps, per topic, its label and the centroid of its documents' text
vectors (the space `refine_primary` assigns in); a new document goes to the topic whose centroid
is nearest its own text vector: one embedding, no LLM call. `min_similarity` leaves a document
that is near no topic unassigned, so what the saved topics did not foresee is not forced into one.
"""

from __future__ import annotations

import numpy as np

from deployments.embeddings.chunks import embedded_chunks
from deployments.topics.base import TextEmbedder

EMBED_CHUNK = 256


async def _vectors(texts: list[str], embedder: TextEmbedder) -> np.ndarray:
    rows: list = []
    async for _, embedded in embedded_chunks(embedder.embed, list(range(len(texts))), lambda i: texts[i], EMBED_CHUNK):
        rows.extend(embedded)
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)


async def save_topics(documents: list[dict], result: dict, embedder: TextEmbedder) -> list[dict]:
    """Per topic of `result` (largest first): label, document count and unit centroid of its primary documents."""
    primary = {d["id"]: d["primary_topic"] for d in result["documents"] if d["primary_topic"]}
    labelled = [d for d in documents if d["id"] in primary]
    if not labelled:
        return []
    vectors = await _vectors([d["text"] for d in labelled], embedder)
    saved = []
    for topic in result["topics"]:
        rows = [i for i, d in enumerate(labelled) if primary[d["id"]] == topic["label"]]
        if not rows or topic.get("other"):  # the "Other" group of small topics is no place to put a new document
            continue
        centroid = vectors[rows].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        saved.append({"label": topic["label"], "documents": len(rows), "centroid": centroid.round(6).tolist()})
    return saved


async def assign_saved(documents: list[dict], saved: list[dict], embedder: TextEmbedder,
                       min_similarity: float = 0.0) -> list[dict]:
    """Each document's nearest saved topic (`topic`, cosine `score`); `topic` None below `min_similarity`."""
    if not documents:
        return []
    if not saved:
        return [{"id": d["id"], "topic": None, "score": None} for d in documents]
    vectors = await _vectors([d["text"] for d in documents], embedder)
    centroids = np.asarray([t["centroid"] for t in saved], dtype=np.float32)
    sims = vectors @ centroids.T
    best = sims.argmax(axis=1)
    out = []
    for d, doc in enumerate(documents):
        score = float(sims[d, best[d]])
        out.append({"id": doc["id"], "topic": saved[best[d]]["label"] if score >= min_similarity else None,
                    "score": round(score, 4)})
    return out
