"""Primary topics: each document's main topic is one it shares with other documents.

Why: a small model's labels scatter. A document labelled only "Claude Monet's work" (or nothing
at all) would otherwise be the single member of its own primary topic, which says nothing about
the corpus and counts against the trend of the topic it belongs to. So a document's primary topic
is its first label whose topic at least ``min_documents`` documents share; a document with no such
label is assigned, by the cosine between its text embedding and the topics' centroids, to the
nearest shared topic, the way BERTopic's ``reduce_outliers(strategy="embeddings")`` gives outliers
a topic. Its own labels and topics are kept. Cost: documents x shared topics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Assignment:
    """Per document: its topics (primary first) and whether the primary was assigned by similarity."""

    topics: list[list[int]]
    assigned: list[bool]


def shared_topics(doc_topics: list[list[int]], min_documents: int) -> list[int]:
    counts: dict[int, int] = {}
    for topics in doc_topics:
        for t in topics:
            counts[t] = counts.get(t, 0) + 1
    return sorted(t for t, n in counts.items() if n >= min_documents)


def needing_assignment(doc_topics: list[list[int]], shared: list[int]) -> list[int]:
    """Documents none of whose topics is shared: they need a primary topic by similarity."""
    shared_set = set(shared)
    return [d for d, topics in enumerate(doc_topics) if not shared_set.intersection(topics)]


def assign_primary(doc_topics: list[list[int]], shared: list[int], centroids: np.ndarray,
                   doc_vectors: dict[int, np.ndarray]) -> Assignment:
    """Reorder each document's topics so a shared one is first; give documents without one the
    nearest shared topic (``centroids`` row i is topic ``shared[i]``; ``doc_vectors`` are unit vectors
    of the documents that need assignment)."""
    shared_set = set(shared)
    result: list[list[int]] = []
    assigned: list[bool] = []
    for d, topics in enumerate(doc_topics):
        first_shared = next((t for t in topics if t in shared_set), None)
        if first_shared is not None:
            result.append([first_shared, *(t for t in topics if t != first_shared)])
            assigned.append(False)
        elif shared and d in doc_vectors:
            nearest = shared[int(np.argmax(centroids @ doc_vectors[d]))]
            result.append([nearest, *topics])
            assigned.append(True)
        else:
            result.append(list(topics))
            assigned.append(False)
    return Assignment(result, assigned)
