"""Stage 2, canonicalization: near-duplicate labels become one canonical topic.

Greedy leader clustering against running centroids: labels are visited most frequent first; each
joins the nearest existing topic when the cosine to its centroid reaches the threshold, else it
starts a new topic. Cost is O(labels x topics), linear in the number of labels for a bounded
number of topics, where agglomerative clustering needs the full label x label matrix. A topic is
named by its most central label (highest cosine to the centroid, ties to the more frequent one).

With a taxonomy, each topic's centroid is compared with the categories: at or above the taxonomy
threshold it takes the category's name (topics mapping onto the same category merge); below it,
it stays a topic of its own, so what the experts did not foresee is not lost.

Hand-written: scikit-learn has no incremental threshold clustering on cosine (Birch is Euclidean
with a branching tree and no "most central member" naming).
"""

from __future__ import annotations

import numpy as np

from deployments.topics.base import Canonical, Canonicalizer, Topic


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class LeaderCanonicalizer(Canonicalizer):
    def __init__(self, merge_threshold: float = 0.7, taxonomy_threshold: float = 0.45) -> None:
        self.merge_threshold = merge_threshold
        self.taxonomy_threshold = taxonomy_threshold

    def canonicalize(self, labels, counts, vectors, taxonomy=None, taxonomy_vectors=None) -> Canonical:
        if not labels:  # no document got a label: nothing to merge (and no vector width to shape)
            return Canonical(topics=[])
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(labels), -1)
        order = sorted(range(len(labels)), key=lambda i: (-counts[i], labels[i]))
        sums: list[np.ndarray] = []
        weights: list[float] = []
        members: list[list[int]] = []
        centroids = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        assigned: dict[int, int] = {}
        for i in order:
            best = -1
            if len(centroids):
                sims = centroids @ vectors[i]
                best = int(np.argmax(sims))
                if sims[best] < self.merge_threshold:
                    best = -1
            weight = float(counts[i])
            if best < 0:
                sums.append(vectors[i] * weight)
                weights.append(weight)
                members.append([i])
                centroids = np.vstack([centroids, _unit(vectors[i])[None, :]])
                best = len(members) - 1
            else:
                sums[best] = sums[best] + vectors[i] * weight
                weights[best] += weight
                members[best].append(i)
                centroids[best] = _unit(sums[best])
            assigned[i] = best
        topics = [self._topic(labels, counts, vectors, idx, centroids[t]) for t, idx in enumerate(members)]
        topic_of = {labels[i]: t for i, t in assigned.items()}
        if taxonomy:
            return self._map_taxonomy(topics, topic_of, taxonomy, np.asarray(taxonomy_vectors, dtype=np.float32))
        return Canonical(topics=topics, topic_of=topic_of)

    @staticmethod
    def _topic(labels, counts, vectors, idx: list[int], centroid: np.ndarray) -> Topic:
        central = max(idx, key=lambda i: (round(float(vectors[i] @ centroid), 6), counts[i]))
        return Topic(label=labels[central], members=[labels[i] for i in idx], centroid=centroid)

    def _map_taxonomy(self, topics: list[Topic], topic_of: dict[str, int], taxonomy: list[str],
                      tax_vectors: np.ndarray) -> Canonical:
        merged: list[Topic] = []
        by_category: dict[int, int] = {}
        remap: dict[int, int] = {}
        for t, topic in enumerate(topics):
            sims = tax_vectors @ topic.centroid
            category = int(np.argmax(sims))
            if sims[category] >= self.taxonomy_threshold:
                if category not in by_category:
                    by_category[category] = len(merged)
                    merged.append(Topic(taxonomy[category], [], tax_vectors[category], taxonomy=True))
                target = by_category[category]
                merged[target].members.extend(topic.members)
            else:
                target = len(merged)
                merged.append(topic)
            remap[t] = target
        return Canonical(topics=merged, topic_of={label: remap[t] for label, t in topic_of.items()})
