"""Evaluation metrics, as pure functions of label vectors and topic assignments (no model, no I/O).

- label precision/recall/F1: BERTScore-style greedy matching of unit label vectors per document,
  rescaled against a random-pair baseline so that 0 means "no better than unrelated labels".
- Chuang et al. 2013's rescaled dot product between a human topic's and a model topic's word
  distributions: (p.q - min) / (max - min), the bounds being the dot products of the sorted vectors.
- NMI and ARI between each document's primary human topic and primary model topic (scikit-learn).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _sum(rows: np.ndarray) -> np.ndarray | None:
    rows = np.asarray(rows, dtype=np.float64)
    return rows.reshape(len(rows), -1).sum(axis=0) if len(rows) else None


def random_pair_baseline(human: Sequence[np.ndarray], model: Sequence[np.ndarray]) -> float:
    """Mean cosine of a human label and a model label drawn from two different documents.

    Computed exactly in linear time: the sum over all pairs minus the same-document pairs.
    """
    h_sums, m_sums = [_sum(h) for h in human], [_sum(m) for m in model]
    h_present, m_present = [s for s in h_sums if s is not None], [s for s in m_sums if s is not None]
    if not h_present or not m_present:
        return 0.0
    total = float(np.sum(h_present, axis=0) @ np.sum(m_present, axis=0))
    pairs = sum(len(h) for h in human) * sum(len(m) for m in model)
    for h, m, hs, ms in zip(human, model, h_sums, m_sums):
        if hs is not None and ms is not None:
            total -= float(hs @ ms)
            pairs -= len(h) * len(m)
    return total / pairs if pairs else 0.0


def _rescale(value: float, baseline: float) -> float:
    return (value - baseline) / (1.0 - baseline) if baseline < 1.0 else 0.0


def label_prf(human: Sequence[np.ndarray], model: Sequence[np.ndarray], baseline: float | None = None) -> dict:
    """Corpus label precision, recall and F1 from per-document unit label vectors (rows).

    Per document: recall = mean over human labels of the best cosine to a model label; precision
    = mean over model labels of the best cosine to a human label; both rescaled by the baseline.
    A document without model labels scores recall 0 and is left out of precision.
    """
    if baseline is None:
        baseline = random_pair_baseline(human, model)
    precisions, recalls = [], []
    for h, m in zip(human, model):
        if not len(h):
            continue
        if not len(m):
            recalls.append(0.0)
            continue
        sims = np.asarray(h, dtype=np.float64) @ np.asarray(m, dtype=np.float64).T
        recalls.append(_rescale(float(sims.max(axis=1).mean()), baseline))
        precisions.append(_rescale(float(sims.max(axis=0).mean()), baseline))
    precision = float(np.mean(precisions)) if precisions else 0.0
    recall = float(np.mean(recalls)) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "baseline": float(baseline)}


def rescaled_dot_product(p: Sequence[float], q: Sequence[float]) -> float:
    """Chuang et al. 2013: how much of the possible alignment of p and q their dot product reaches."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    p_desc = np.sort(p)[::-1]
    d_max = float(p_desc @ np.sort(q)[::-1])
    d_min = float(p_desc @ np.sort(q))
    return (float(p @ q) - d_min) / (d_max - d_min) if d_max > d_min else 0.0


def _topic_terms(assignments: Sequence[Sequence[str]], doc_terms: np.ndarray) -> dict[str, np.ndarray]:
    """Per topic, the summed term counts of its documents: the topic as a distribution over words."""
    vectors: dict[str, np.ndarray] = {}
    for d, topics in enumerate(assignments):
        for topic in dict.fromkeys(topics):
            vectors[topic] = vectors.get(topic, 0) + doc_terms[d]
    return vectors


def chuang_alignment(human: Sequence[Sequence[str]], model: Sequence[Sequence[str]], doc_terms) -> dict:
    """For each human topic (concept), the model topic whose word distribution has the highest
    rescaled dot product with the concept's, as Chuang et al. align latent topics to concepts; and
    the mean of those best scores. `doc_terms` is the documents x terms count matrix."""
    doc_terms = np.asarray(doc_terms, dtype=np.float64)
    h_vectors, m_vectors = _topic_terms(human, doc_terms), _topic_terms(model, doc_terms)
    matches = {}
    for h_topic, p in h_vectors.items():
        scored = [(rescaled_dot_product(p, q), m_topic) for m_topic, q in m_vectors.items()]
        best_score, best_topic = max(scored, default=(0.0, None))
        matches[h_topic] = {"model_topic": best_topic, "score": best_score}
    mean = float(np.mean([m["score"] for m in matches.values()])) if matches else 0.0
    return {"mean": mean, "matches": matches}


def primary_agreement(human_primary: Sequence[str], model_primary: Sequence[str | None]) -> dict:
    """NMI and ARI between the primary human and primary model topic of each document."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    model = [m if m is not None else "(none)" for m in model_primary]
    return {
        "nmi": float(normalized_mutual_info_score(human_primary, model)),
        "ari": float(adjusted_rand_score(human_primary, model)),
    }


def trend_agreement(human_docs: dict[str, set], human_status: dict[str, str],
                    model_docs: dict[str, set], model_status: dict[str, str]) -> float:
    """Share of human topics whose status equals that of the model topic sharing most documents
    with it (Jaccard), both statuses computed by the same trend detector."""
    if not human_docs:
        return 0.0
    agree = 0
    for topic, docs in human_docs.items():
        best = max(model_docs, key=lambda m: len(docs & model_docs[m]) / len(docs | model_docs[m]), default=None)
        agree += best is not None and model_status.get(best) == human_status.get(topic)
    return agree / len(human_docs)
