"""Primary topics: each document's main topic is one it shares with other documents, chosen by
what the documents say as well as by the labels the model gave them.

Why: a small model's labels scatter and some are catch-alls. A document labelled only "Claude
Monet's work" (or nothing at all) would otherwise be the single member of its own primary topic,
and one labelled only "Art criticism" would land in a topic that mixes every kind of art. Two steps:

1. Seed: a document's primary topic is its first label whose topic at least ``min_documents``
   documents share; a document with no such label gets the shared topic whose label centroid is
   nearest its text embedding (as BERTopic's ``reduce_outliers(strategy="embeddings")`` does).
2. Refine: one nearest-centroid step in document space (one Lloyd step of k-means, seeded by the
   labels): each seed topic's centroid is the mean text embedding of the documents it holds, and
   every document moves to the nearest centroid, with ``label_prior`` added to the cosine of the
   topics the model labelled it with. A catch-all topic's centroid sits between the kinds of art
   it mixes, so its documents move to the specific topic their text is nearest.

The labels name the topics and fix how many there are; the text embeddings decide where a
document belongs when its labels do not. Its own labels and topics are always kept. Cost:
documents x seed topics, linear in the number of documents.
Hand-written: scikit-learn's KMeans takes initial centroids but not a per-document prior for the
clusters its labels name, and no "nearest label centroid" seeding for unlabelled documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Assignment:
    """Per document: its topics (primary first) and whether the primary is none of its own topics."""

    topics: list[list[int]]
    assigned: list[bool]


def shared_topics(doc_topics: list[list[int]], min_documents: int) -> list[int]:
    counts: dict[int, int] = {}
    for topics in doc_topics:
        for t in topics:
            counts[t] = counts.get(t, 0) + 1
    return sorted(t for t, n in counts.items() if n >= min_documents)


def _with_primary(primary: int, own: list[int]) -> list[int]:
    return [primary, *(t for t in own if t != primary)]


def assign_primary(doc_topics: list[list[int]], shared: list[int], centroids: np.ndarray,
                   doc_vectors: dict[int, np.ndarray]) -> Assignment:
    """Step 1, the seed: reorder each document's topics so a shared one is first; give documents
    without one the nearest shared topic (``centroids`` row i is topic ``shared[i]``'s label centroid;
    ``doc_vectors`` are unit text vectors by document index)."""
    shared_set = set(shared)
    result: list[list[int]] = []
    assigned: list[bool] = []
    for d, topics in enumerate(doc_topics):
        first_shared = next((t for t in topics if t in shared_set), None)
        if first_shared is not None:
            result.append(_with_primary(first_shared, topics))
            assigned.append(False)
        elif shared and d in doc_vectors:
            result.append(_with_primary(shared[int(np.argmax(centroids @ doc_vectors[d]))], topics))
            assigned.append(True)
        else:
            result.append(list(topics))
            assigned.append(False)
    return Assignment(result, assigned)


def _own_topics(seed: Assignment, d: int) -> list[int]:
    topics = seed.topics[d]
    return topics[1:] if seed.assigned[d] else topics


def document_centroids(seed: Assignment, doc_vectors: dict[int, np.ndarray],
                       min_documents: int) -> tuple[list[int], np.ndarray]:
    """The topics that are the seed primary of at least ``min_documents`` embedded documents, and
    the unit mean text vector of those documents, one row per topic."""
    groups: dict[int, list[np.ndarray]] = {}
    for d, vector in doc_vectors.items():
        if seed.topics[d]:
            groups.setdefault(seed.topics[d][0], []).append(vector)
    topics = sorted(t for t, vectors in groups.items() if len(vectors) >= max(min_documents, 1))
    if not topics:
        return [], np.zeros((0, 1), dtype=np.float32)
    sums = np.stack([np.sum(groups[t], axis=0) for t in topics])
    return topics, sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def refine_primary(seed: Assignment, doc_vectors: dict[int, np.ndarray], min_documents: int,
                   label_prior: float) -> Assignment:
    """Step 2: every embedded document's primary becomes the nearest document centroid, its own
    topics favoured by ``label_prior`` (in cosine units; 0: the text alone decides among the seeds)."""
    topics, centroids = document_centroids(seed, doc_vectors, min_documents)
    if not topics:
        return seed
    result = [list(t) for t in seed.topics]
    assigned = list(seed.assigned)
    for d, vector in doc_vectors.items():
        own = _own_topics(seed, d)
        prior = np.array([label_prior if t in own else 0.0 for t in topics], dtype=np.float32)
        primary = topics[int(np.argmax(centroids @ vector + prior))]
        result[d] = _with_primary(primary, own)
        assigned[d] = primary not in own
    return Assignment(result, assigned)
