"""From per-document labels to the answer: canonical topics, per-document topics, trends.

Kept apart from the deployment so the batch command and the benchmarks build the same answer.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from deployments.topics.base import Canonicalizer, TextEmbedder, TrendDetector
from deployments.topics.trends import trend_table


def _timestamp(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def assemble(documents: list[dict], labels: list[list[str]], embedder: TextEmbedder,
                   canonicalizer: Canonicalizer, detector: TrendDetector, window: str = "month",
                   taxonomy: list[str] | None = None) -> dict:
    """`documents` are dicts with `id` and optional `timestamp`; `labels` one list per document."""
    display: dict[str, str] = {}
    counts: dict[str, int] = {}
    for doc_labels in labels:
        for label in {lbl.lower(): lbl for lbl in doc_labels}.values():
            key = label.lower()
            display.setdefault(key, label)
            counts[key] = counts.get(key, 0) + 1
    keys = list(display)
    texts = [display[k] for k in keys]
    vectors = np.asarray(await embedder.embed(texts) if texts else [], dtype=np.float32)
    tax_vectors = np.asarray(await embedder.embed(taxonomy), dtype=np.float32) if taxonomy and keys else None
    canonical = canonicalizer.canonicalize(texts, [counts[k] for k in keys], vectors, taxonomy, tax_vectors)

    doc_topics: list[list[int]] = []
    for doc_labels in labels:
        seen: list[int] = []
        for label in doc_labels:
            t = canonical.topic_of[display[label.lower()]]
            if t not in seen:
                seen.append(t)
        doc_topics.append(seen)
    members: dict[int, list[int]] = {}
    for d, topics in enumerate(doc_topics):
        for t in topics:
            members.setdefault(t, []).append(d)

    order = sorted(members, key=lambda t: (-len(members[t]), canonical.topics[t].label))
    names = {t: canonical.topics[t].label for t in order}
    timestamps = [_timestamp(doc.get("timestamp")) for doc in documents]
    windows, trends = trend_table(timestamps, {names[t]: members[t] for t in order}, window, detector)
    return {
        "topics": [
            {"label": names[t], "count": len(members[t]), "document_ids": [documents[d]["id"] for d in members[t]],
             "labels": sorted(set(canonical.topics[t].members)), "taxonomy": canonical.topics[t].taxonomy}
            for t in order
        ],
        "documents": [
            {"id": doc["id"], "labels": doc_labels, "topics": [names[t] for t in topics],
             "primary_topic": names[topics[0]] if topics else None}
            for doc, doc_labels, topics in zip(documents, labels, doc_topics)
        ],
        "trends": {
            "window": window,
            "method": detector.method,
            "windows": windows,
            "topics": [{"label": label, "status": tr.status, "score": tr.score, "counts": tr.counts}
                       for label, tr in trends.items()],
            "rising": [label for label, tr in trends.items() if tr.status in ("rising", "new")],
            "fading": [label for label, tr in trends.items() if tr.status == "fading"],
        },
    }
