"""From per-document labels to the answer: canonical topics, per-document topics, trends.

Kept apart from the deployment so the batch command and the benchmarks build the same answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from deployments.embeddings.chunks import embedded_chunks
from deployments.topics.assignment import Assignment, assign_primary, refine_primary, shared_topics
from deployments.topics.base import Canonical, Canonicalizer, TextEmbedder, TrendDetector
from deployments.topics.changepoint import ChangepointTrendDetector
from deployments.topics.clusters import cluster_primary, keep_closer_own_topics
from deployments.topics.distinct import OTHER_KEY, distinct_topics
from deployments.topics.shared_words import clustering_text, is_generic, shared_words
from deployments.topics.trends import trend_table, window_indices

if TYPE_CHECKING:
    from deployments.topics.settings import TopicSettings

EMBED_CHUNK = 256  # documents per Embedder call when their text vectors are needed


def _timestamp(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def assemble(documents: list[dict], labels: list[list[str]], embedder: TextEmbedder,
                   canonicalizer: Canonicalizer, detector: TrendDetector, window: str = "month",
                   taxonomy: list[str] | None = None, assign_min_documents: int = 2,
                   label_prior: float = 0.05, shared_share: float = 0.1, shared_min_labels: int = 3,
                   grouping: str = "documents", cluster_distance: float = 0.68, cluster_label_weight: float = 0.2,
                   split_by_history: bool = True, own_topics: str = "closer", cluster_naming: str = "medoid",
                   cluster_max_share: float | None = 0.25, min_topic_size: int = 1,
                   name_merge_cosine: float = 1.0) -> dict:
    """`documents` are dicts with `id`, `text` and optional `timestamp`; `labels` one list per document.

    A document's primary topic is one shared by at least `assign_min_documents` documents, seeded
    by its labels and refined by its text embedding with `label_prior` (see `assignment.py`;
    `assign_min_documents` 0 keeps the first label's topic).

    The words all labels of this corpus share (`shared_words`, at `shared_share` and `shared_min_labels`)
    are left out when labels are embedded for merging, and a label made only of them makes no topic
    (it stays in the document's `labels`). `shared_words` in the answer lists them.

    `grouping` "documents" makes the primary topics clusters of the documents' text (and label)
    vectors, named by their labels (`clusters.py`, `cluster_distance`, `cluster_max_share`,
    `cluster_label_weight`); with `split_by_history` a cluster whose parts' timing differs (the
    change-point test) is split; `cluster_naming` picks the vote that names a cluster
    (`clusters.NAMING_VOTES`). With
    `own_topics` "closer" a document keeps, besides its cluster's topic, only its own topics whose names
    are at least as close to its text as that topic's name (`clusters.keep_closer_own_topics`).

    Last, no two topics keep one name, and topics of fewer than `min_topic_size` documents fold into
    one "Other" group (`distinct.py`: same-named topics whose centroids have a cosine of at least
    `name_merge_cosine` merge, the others get a word of their own texts). The "Other" group comes last
    in `topics`, marked `"other": true`, and has no trend.
    """
    shared = shared_words([lbl for doc_labels in labels for lbl in doc_labels], shared_share, shared_min_labels)
    raw_labels = labels
    labels = [[lbl for lbl in doc_labels if not is_generic(lbl, shared)] for doc_labels in raw_labels]
    display: dict[str, str] = {}
    counts: dict[str, int] = {}
    for doc_labels in labels:
        for label in {lbl.lower(): lbl for lbl in doc_labels}.values():
            key = label.lower()
            display.setdefault(key, label)
            counts[key] = counts.get(key, 0) + 1
    keys = list(display)
    texts = [display[k] for k in keys]
    embedded = await embedder.embed([clustering_text(t, shared) for t in texts]) if texts else []
    vectors = np.asarray(embedded, dtype=np.float32)
    tax_vectors = np.asarray(await embedder.embed(taxonomy), dtype=np.float32) if taxonomy and keys else None
    # The CPU stages run in a worker thread, so the replica's event loop keeps serving its other
    # requests (and health checks) while a large corpus is canonicalized, assigned and counted.
    canonical = await asyncio.to_thread(canonicalizer.canonicalize, texts, [counts[k] for k in keys], vectors,
                                        taxonomy, tax_vectors)

    doc_topics: list[list[int]] = []
    for doc_labels in labels:
        seen: list[int] = []
        for label in doc_labels:
            t = canonical.topic_of[display[label.lower()]]
            if t not in seen:
                seen.append(t)
        doc_topics.append(seen)
    timestamps = [_timestamp(doc.get("timestamp")) for doc in documents]
    if grouping == "documents":
        doc_vectors = await _text_vectors(documents, embedder)
        keys, windows = window_indices(timestamps, window)
        # The split asks whether a part's share of its cluster changes: the change-point test (the
        # z-score method has no exposure), at the detector's own level when it is that test.
        splitter = detector if isinstance(detector, ChangepointTrendDetector) else ChangepointTrendDetector()
        assignment = await asyncio.to_thread(cluster_primary, doc_topics, canonical, doc_vectors, labels,
                                             cluster_label_weight, cluster_distance, 2000,
                                             windows if split_by_history else None, len(keys), splitter,
                                             cluster_naming, cluster_max_share)
        if own_topics == "closer":
            used = sorted({t for topics in assignment.topics for t in topics})
            names = await embedder.embed([canonical.topics[t].label for t in used]) if used else []
            topic_vectors = dict(zip(used, np.asarray(names, dtype=np.float64)))
            assignment = Assignment(keep_closer_own_topics(assignment.topics, topic_vectors, doc_vectors),
                                    assignment.assigned)
    else:
        assignment = await _primary_topics(documents, doc_topics, canonical, embedder, assign_min_documents,
                                           label_prior)
    used = {t for topics in assignment.topics for t in topics}
    if grouping != "documents":  # same-named topics' centroids decide whether they merge
        doc_vectors = await _text_vectors(documents, embedder) \
            if len({canonical.topics[t].label.casefold() for t in used}) < len(used) else {}
    doc_topics, names = await asyncio.to_thread(
        distinct_topics, assignment.topics, {t: canonical.topics[t].label for t in used}, doc_vectors,
        [doc.get("text") or "" for doc in documents], min_topic_size, name_merge_cosine)
    members: dict[int, list[int]] = {}
    for d, topics in enumerate(doc_topics):
        for t in topics:
            members.setdefault(t, []).append(d)

    order = sorted(members, key=lambda t: (t == OTHER_KEY, -len(members[t]), names[t]))
    windows, trends = await asyncio.to_thread(
        trend_table, timestamps, {names[t]: members[t] for t in order if t != OTHER_KEY}, window, detector)
    return {
        "topics": [
            {"label": names[t], "count": len(members[t]), "document_ids": [documents[d]["id"] for d in members[t]],
             **({"labels": sorted(set(canonical.topics[t].members)), "taxonomy": canonical.topics[t].taxonomy}
                if t != OTHER_KEY else {"labels": [], "taxonomy": None, "other": True})}
            for t in order
        ],
        "documents": [
            {"id": doc["id"], "labels": doc_labels, "topics": [names[t] for t in topics],
             "primary_topic": names[topics[0]] if topics else None, "primary_assigned": assigned}
            for doc, doc_labels, topics, assigned in zip(documents, raw_labels, doc_topics, assignment.assigned)
        ],
        "shared_words": sorted(shared),
        "trends": {
            "window": window,
            "method": detector.method,
            "windows": windows,
            "alpha": getattr(detector, "alpha", None),
            "topics": [{"label": label, "status": tr.status, "score": tr.score, "counts": tr.counts,
                        "change_window": windows[tr.change] if tr.change is not None else None,
                        **change_span(windows, tr)}
                       for label, tr in trends.items()],
            "rising": [label for label, tr in trends.items() if tr.status in ("rising", "new")],
            "fading": [label for label, tr in trends.items() if tr.status == "fading"],
        },
    }


def change_span(windows: list[str], trend) -> dict:
    """The badge of a rising, new or fading topic: the windows after its change (`window`), those before
    it (`before`), and the test's `p_value`; a steady topic has no change windows."""
    k = trend.change
    changed = trend.status != "steady" and k is not None and 0 < k < len(windows)
    return {"window": {"start": windows[k], "end": windows[-1]} if changed else None,
            "before": {"start": windows[0], "end": windows[k - 1]} if changed else None,
            "p_value": trend.p_value}


async def assemble_with(settings: TopicSettings, documents: list[dict], labels: list[list[str]],
                        embedder: TextEmbedder, canonicalizer: Canonicalizer, detector: TrendDetector,
                        window: str = "month", taxonomy: list[str] | None = None) -> dict:
    """`assemble` with every stage's knob taken from `settings`: the deployment and the benchmarks map
    them in this one place, so a new setting reaches both."""
    s = settings
    return await assemble(documents, labels, embedder, canonicalizer, detector, window, taxonomy,
                          s.assign_min_documents, s.label_prior, s.shared_word_share, s.shared_word_min_labels,
                          s.grouping, s.cluster_distance, s.cluster_label_weight, own_topics=s.own_topics,
                          cluster_naming=s.cluster_naming, cluster_max_share=s.cluster_max_share,
                          min_topic_size=s.min_topic_size, name_merge_cosine=s.name_merge_cosine)


async def _text_vectors(documents: list[dict], embedder: TextEmbedder,
                        chunk: int = EMBED_CHUNK) -> dict[int, np.ndarray]:
    """Unit text vectors of the documents that have text, by document index."""
    with_text = [d for d, doc in enumerate(documents) if doc.get("text")]
    vectors: dict[int, np.ndarray] = {}
    async for part, embedded in embedded_chunks(embedder.embed, with_text, lambda d: documents[d]["text"], chunk):
        vectors.update(zip(part, embedded))
    return vectors


async def _primary_topics(documents: list[dict], doc_topics: list[list[int]], canonical: Canonical,
                          embedder: TextEmbedder, min_documents: int, label_prior: float) -> Assignment:
    if min_documents < 1:
        return Assignment(doc_topics, [False] * len(doc_topics))
    shared = shared_topics(doc_topics, min_documents)
    if not shared:
        return Assignment(doc_topics, [False] * len(doc_topics))
    doc_vectors = await _text_vectors(documents, embedder)
    centroids = np.stack([canonical.topics[t].centroid for t in shared])
    seed = await asyncio.to_thread(assign_primary, doc_topics, shared, centroids, doc_vectors)
    return await asyncio.to_thread(refine_primary, seed, doc_vectors, min_documents, label_prior)
