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

Clusters whose parts have different histories are split (`split_by_history`). Why: a cut at one
distance can merge a kind of document that appeared in one period with a nearby kind present all
year (radio programs with audio programs); the rise is then a fraction of a steady cluster and
reads as "steady". Method: walk each cluster's average-linkage tree from the top; at each merge of
two parts with at least `min_part` dated documents each, ask the trend detector whether one part's
share of the merged documents changes over the windows (the same exact binomial test, the merged
part's counts as the exposure); if so the merge is undone and both parts are walked in turn, else
the part stays whole. The question is the one the trends answer, at the same significance level:
two groups that the text puts together but whose timing differs beyond chance are two topics for
an analyst asking what rose and what faded. Parts of a steady topic with the same timing are never
split, whatever their size, so this adds no threshold fitted to a corpus.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from deployments.topics.assignment import Assignment
from deployments.topics.base import Canonical, Topic, TrendDetector


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


def _window_counts(rows: np.ndarray, windows: list[int | None], n_windows: int) -> list[int]:
    counts = [0] * n_windows
    for r in rows:
        if windows[r] is not None:
            counts[windows[r]] += 1
    return counts


def split_by_history(points: np.ndarray, ids: np.ndarray, windows: list[int | None], n_windows: int,
                     detector: TrendDetector, min_part: int = 3, max_exact: int = 2000) -> np.ndarray:
    """`ids` with every cluster split where its average-linkage tree joins two parts whose timing
    differs (`detector.detect(part counts, merged counts)` is not steady); `windows` gives each
    row's window index (None: undated). The subtree of a flat cluster is the tree of its members
    alone, so each cluster is re-linked on its own (scipy), never the whole corpus; a cluster of more
    than `max_exact` rows is split on a strided sample and the rest join the nearest part."""
    from scipy.cluster.hierarchy import linkage, to_tree

    if n_windows < 2:
        return ids
    dated = np.asarray([w is not None for w in windows])
    out = ids.copy()
    next_id = int(ids.max()) + 1 if len(ids) else 0
    for c in sorted(set(ids.tolist())):
        everyone = np.flatnonzero(ids == c)
        members = everyone if len(everyone) <= max_exact else \
            everyone[np.linspace(0, len(everyone) - 1, max_exact).round().astype(int)]
        if int(dated[members].sum()) < 2 * min_part:
            continue
        root = to_tree(linkage(points[members], method="average", metric="cosine"))
        parts: list[list[int]] = []
        stack = [root]
        while stack:  # explicit stack: a long chain of merges would pass Python's recursion limit
            node = stack.pop()
            left, right = node.get_left(), node.get_right()
            if node.is_leaf() or left is None or right is None:
                parts.append(node.pre_order())
                continue
            left_rows, right_rows = members[left.pre_order()], members[right.pre_order()]
            if min(int(dated[left_rows].sum()), int(dated[right_rows].sum())) >= min_part:
                merged = _window_counts(members[node.pre_order()], windows, n_windows)
                trend = detector.detect(_window_counts(left_rows, windows, n_windows), merged)
                if trend.status != "steady":
                    stack += [right, left]
                    continue
            parts.append(node.pre_order())
        if len(parts) < 2:
            continue
        part_ids = np.arange(next_id, next_id + len(parts) - 1)
        for part, new in zip(parts[1:], part_ids):
            out[members[part]] = new
        if len(members) < len(everyone):
            centroids = _unit_rows(np.stack([points[members[p]].sum(axis=0) for p in parts]))
            nearest = np.argmax(points[everyone] @ centroids.T, axis=1)
            out[everyone] = np.concatenate([[c], part_ids])[nearest]
        next_id += len(parts) - 1
    return out


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
                    max_exact: int = 2000, windows: list[int | None] | None = None, n_windows: int = 0,
                    detector: TrendDetector | None = None) -> Assignment:
    """Each embedded document's primary is its cluster's topic; its own topics follow it. With
    `windows` (a window index per document) and a `detector`, clusters whose parts have different
    histories are split first (`split_by_history`)."""
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
    if windows is not None and detector is not None:
        ids = split_by_history(points, ids, [windows[d] for d in embedded], n_windows, detector)
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
