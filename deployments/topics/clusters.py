"""Primary topics by clustering documents (`topics.grouping: documents`): the text decides the
groups, the labels name them.

Why: a small model's labels of one kind of document can scatter ("Morse code", "Telecommunications",
"Drivers" for three radio programs) so no label is shared by enough of them to make a topic, and the
labels-first assignment (`assignment.py`) spreads them over unrelated topics; a rise or a fade
confined to that kind of document is then diluted below significance. Their text embeddings stay
close, so clustering the documents keeps them together.

Method: each document is its unit text vector plus `label_weight` times the unit mean of its label
topics' centroids (the labels pull documents the model read alike together, the text does the rest),
re-normalised; average-linkage agglomerative clustering on cosine distance, cut at `distance`
(scikit-learn's `AgglomerativeClustering`). Above `max_exact` documents, a strided sample of that
size is clustered and the rest join the nearest cluster centroid, so memory stays bounded (the exact
method needs the document x document matrix). A cluster is named by the label topic most of its
documents carry, largest cluster first, each topic naming at most one cluster; a cluster whose
candidates are all taken gets a topic of its own named after its most frequent label, and a cluster
none of whose documents has a label makes no topic (there is nothing to name it by).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from deployments.topics.assignment import Assignment
from deployments.topics.base import Canonical, Topic


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def document_points(text_vectors: np.ndarray, label_vectors: np.ndarray, label_weight: float) -> np.ndarray:
    """Unit (text + weight * label) vectors; a document without labels has a zero label row."""
    labels = _unit_rows(label_vectors) * (np.linalg.norm(label_vectors, axis=1, keepdims=True) > 0)
    return _unit_rows(_unit_rows(text_vectors) + label_weight * labels)


def cluster_points(points: np.ndarray, distance: float, max_exact: int = 2000) -> np.ndarray:
    """A cluster id per row: average-linkage clustering on cosine distance cut at `distance`; above
    `max_exact` rows, a strided sample is clustered and the rest join the nearest centroid."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(points)
    if n < 2:
        return np.zeros(n, dtype=int)
    sample = np.arange(n) if n <= max_exact else np.linspace(0, n - 1, max_exact).round().astype(int)
    model = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average")
    ids = model.fit_predict(points[sample])
    if n <= max_exact:
        return ids
    centroids = _unit_rows(np.stack([points[sample][ids == c].sum(axis=0) for c in range(ids.max() + 1)]))
    return np.argmax(points @ centroids.T, axis=1)


def name_clusters(ids: np.ndarray, doc_topics: list[list[int]], canonical: Canonical,
                  raw_labels: list[list[str]]) -> dict[int, int | None]:
    """Per cluster, the index of the topic that names it (new topics are appended to `canonical`);
    None for a cluster without any label."""
    order = sorted(set(ids.tolist()), key=lambda c: (-int(np.sum(ids == c)), c))
    taken: set[int] = set()
    names: dict[int, int | None] = {}
    for c in order:
        members = np.flatnonzero(ids == c)
        votes = Counter(t for d in members for t in dict.fromkeys(doc_topics[d]))
        free = [t for t, _ in sorted(votes.items(), key=lambda item: (-item[1], item[0])) if t not in taken]
        if free:
            names[c] = free[0]
        else:
            words = Counter(label for d in members for label in raw_labels[d])
            if not words:
                names[c] = None
                continue
            label = max(words, key=lambda w: (words[w], w))
            existing = {topic.label for topic in canonical.topics}
            suffix = 2
            name = label
            while name in existing:
                name, suffix = f"{label} ({suffix})", suffix + 1
            dim = canonical.topics[0].centroid.shape[0] if canonical.topics else 1
            canonical.topics.append(Topic(label=name, members=[], centroid=np.zeros(dim, dtype=np.float32)))
            names[c] = len(canonical.topics) - 1
        taken.add(names[c])
    return names


def cluster_primary(doc_topics: list[list[int]], canonical: Canonical, doc_vectors: dict[int, np.ndarray],
                    raw_labels: list[list[str]], label_weight: float, distance: float,
                    max_exact: int = 2000) -> Assignment:
    """Each embedded document's primary is its cluster's topic; its own topics follow it."""
    embedded = sorted(doc_vectors)
    if not embedded:
        return Assignment([list(t) for t in doc_topics], [False] * len(doc_topics))
    dim = len(doc_vectors[embedded[0]])
    label_rows = np.zeros((len(embedded), dim), dtype=np.float32)
    for row, d in enumerate(embedded):
        centroids = [canonical.topics[t].centroid for t in doc_topics[d]]
        if centroids and len(centroids[0]) == dim:
            label_rows[row] = np.mean(centroids, axis=0)
    points = document_points(np.stack([doc_vectors[d] for d in embedded]), label_rows, label_weight)
    ids = cluster_points(points, distance, max_exact)
    sub_topics = [doc_topics[d] for d in embedded]
    sub_labels = [raw_labels[d] for d in embedded]
    names = name_clusters(ids, sub_topics, canonical, sub_labels)
    result = [list(t) for t in doc_topics]
    assigned = [False] * len(doc_topics)
    for row, d in enumerate(embedded):
        primary = names[int(ids[row])]
        if primary is None:
            continue
        result[d] = [primary, *(t for t in doc_topics[d] if t != primary)]
        assigned[d] = primary not in doc_topics[d]
    return Assignment(result, assigned)
