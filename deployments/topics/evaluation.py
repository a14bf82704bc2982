"""Judging model topics against the experts' `human_topics`: the metrics and the vibe-check table.

`score` takes any model's per-document topics, so the BERTopic comparison scores both models
with the same code, the same embeddings and the same trend detector.
"""

from __future__ import annotations

import numpy as np

from deployments.topics import metrics
from deployments.topics.assemble import _timestamp
from deployments.topics.base import TextEmbedder, TrendDetector
from deployments.topics.trends import trend_table


async def _vectors(embedder: TextEmbedder, per_doc: list[list[str]]) -> list[np.ndarray]:
    distinct = sorted({label for labels in per_doc for label in labels})
    table = dict(zip(distinct, np.asarray(await embedder.embed(distinct), dtype=np.float64))) if distinct else {}
    dim = len(next(iter(table.values()))) if table else 1
    return [np.asarray([table[label] for label in labels]).reshape(len(labels), dim) for labels in per_doc]


def _term_counts(texts: list[str]) -> np.ndarray:
    """Documents x words counts (English stop words out), for Chuang's word-distribution alignment."""
    from sklearn.feature_extraction.text import CountVectorizer

    try:
        return CountVectorizer(stop_words="english").fit_transform(texts).toarray()
    except ValueError:  # only stop words: no vocabulary, nothing to align
        return np.zeros((len(texts), 1))


def _groups(per_doc: list[list[str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for d, topics in enumerate(per_doc):
        for topic in dict.fromkeys(topics):
            groups.setdefault(topic, []).append(d)
    return groups


async def score(documents: list[dict], model_topics: list[list[str]], embedder: TextEmbedder,
                detector: TrendDetector, window: str = "month") -> dict:
    """Metrics of `model_topics` (per document, primary first) against each document's `human_topics`."""
    human_topics = [list(doc["human_topics"]) for doc in documents]
    labels = metrics.label_prf(await _vectors(embedder, human_topics), await _vectors(embedder, model_topics))
    primary = metrics.primary_agreement([h[0] for h in human_topics], [m[0] if m else None for m in model_topics])
    chuang = metrics.chuang_alignment(human_topics, model_topics, _term_counts([doc["text"] for doc in documents]))
    timestamps = [_timestamp(doc.get("timestamp")) for doc in documents]
    human_primary = _groups([h[:1] for h in human_topics])
    model_groups = _groups(model_topics)
    _, human_trends = trend_table(timestamps, human_primary, window, detector)
    _, model_trends = trend_table(timestamps, model_groups, window, detector)
    agreement = metrics.trend_agreement(
        {t: set(d) for t, d in human_primary.items()}, {t: tr.status for t, tr in human_trends.items()},
        {t: set(d) for t, d in model_groups.items()}, {t: tr.status for t, tr in model_trends.items()},
    ) if human_trends else None
    return {
        "label_precision": labels["precision"],
        "label_recall": labels["recall"],
        "label_f1": labels["f1"],
        "label_baseline": labels["baseline"],
        "chuang_rescaled_dot_product": chuang["mean"],
        "nmi": primary["nmi"],
        "ari": primary["ari"],
        "trend_agreement": agreement,
        "human_trends": {t: tr.status for t, tr in human_trends.items()},
        "alignment": chuang["matches"],
    }


def vibe_rows(documents: list[dict], result: dict, text_chars: int = 80) -> list[dict]:
    """Human and model topics side by side, one row per document."""
    rows = []
    for doc, answer in zip(documents, result["documents"]):
        text = " ".join(doc["text"].split())
        rows.append({
            "id": doc["id"],
            "text": text if len(text) <= text_chars else text[: text_chars - 1] + "\u2026",
            "human_topics": list(doc.get("human_topics", [])),
            "model_topics": answer["topics"],
            "model_labels": answer["labels"],
        })
    return rows


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[dict], scores: dict | None = None) -> str:
    """The vibe-check table in Markdown, preceded by the metrics when given."""
    lines = []
    if scores:
        lines += ["| metric | value |", "| --- | --- |"]
        for name in ("label_precision", "label_recall", "label_f1", "chuang_rescaled_dot_product", "nmi", "ari",
                     "trend_agreement"):
            value = scores.get(name)
            lines.append(f"| {name} | {'n/a' if value is None else f'{value:.3f}'} |")
        lines.append("")
    lines += ["| id | text | human topics | model topics |", "| --- | --- | --- | --- |"]
    for row in rows:
        lines.append(f"| {_cell(row['id'])} | {_cell(row['text'])} | {_cell(', '.join(row['human_topics']))} "
                     f"| {_cell(', '.join(row['model_topics']) or '(none)')} |")
    return "\n".join(lines) + "\n"
