"""This pipeline against BERTopic on the same documents, scored by the same code.

    python bench/topics_vs_bertopic.py data/art_corpus.jsonl --results /tmp/medici-topics/results.jsonl

`--results` is the `results.jsonl` the batch command wrote for the same file (labelling is the
slow part on CPU, so it is not redone here); without it, the batch command runs first. BERTopic
gets the same all-MiniLM-L6-v2 embeddings and settings for a small corpus: UMAP with 10
neighbours and 5 components, HDBSCAN with min_cluster_size 3 and min_samples 1, English stop words,
outliers reassigned to the nearest topic by embedding so every document has a primary topic. Of
the four small-corpus settings tried on the shipped corpus (UMAP neighbours 5/10/15, HDBSCAN
min_cluster_size 3/5), this one gave BERTopic its best NMI, so the comparison is against its best.
BERTopic's label for a topic is its top three c-TF-IDF words. Both are scored by `deployments.topics.evaluation.score`: label
precision/recall/F1 (rescaled BERTScore-style), Chuang's rescaled dot product, NMI and ARI of
primary topics, and trend agreement (the same z-score detector on both models' topics).

BERTopic is a benchmark dependency (requirements-bench.txt), never imported by the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.topics_batch import main as batch_main, read_documents  # noqa: E402
from deployments.topics.evaluation import score  # noqa: E402
from deployments.topics.trends import ZScoreTrendDetector  # noqa: E402


class LocalMiniLM:
    """The Embedder deployment's model, in process: the same vectors without Serve."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        from deployments.embeddings.embedder import bundled_minilm_dir

        self.model = SentenceTransformer(bundled_minilm_dir(), device="cpu", local_files_only=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()


def bertopic_topics(texts: list[str], embeddings: np.ndarray, model) -> tuple[list[list[str]], float]:
    """One topic label per document from BERTopic fitted on the given embeddings."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    started = time.perf_counter()
    topic_model = BERTopic(
        embedding_model=model,
        umap_model=UMAP(n_neighbors=10, n_components=5, min_dist=0.0, metric="cosine", random_state=42),
        hdbscan_model=HDBSCAN(min_cluster_size=3, min_samples=1, metric="euclidean",
                              cluster_selection_method="eom", prediction_data=True),
        vectorizer_model=CountVectorizer(stop_words="english", ngram_range=(1, 2)),
        min_topic_size=3,
    )
    topics, _ = topic_model.fit_transform(texts, embeddings)
    if -1 in topics and len(set(topics)) > 1:
        topics = topic_model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=embeddings)
    names = {t: " ".join(word for word, _ in (topic_model.get_topic(t) or [])[:3]) or f"topic {t}"
             for t in set(topics)}
    return [[names[t]] for t in topics], time.perf_counter() - started


def _row(name: str, m: dict) -> str:
    trend = "n/a" if m["trend_agreement"] is None else f"{m['trend_agreement']:.3f}"
    return (f"| {name} | {m['label_precision']:.3f} | {m['label_recall']:.3f} | {m['label_f1']:.3f} "
            f"| {m['chuang_rescaled_dot_product']:.3f} | {m['nmi']:.3f} | {m['ari']:.3f} | {trend} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="TopicPipeline vs BERTopic on one labelled corpus")
    parser.add_argument("input", nargs="?", default="data/art_corpus.jsonl")
    parser.add_argument("--results", help="results.jsonl of the batch command for the same input")
    parser.add_argument("--window", default="month", choices=["day", "week", "month"])
    args = parser.parse_args(argv)

    documents = read_documents(args.input)
    if not args.results:
        batch_main([args.input, "--out", "/tmp/medici-topics-bench"])
        args.results = "/tmp/medici-topics-bench/results.jsonl"
    rows = {r["id"]: r for r in map(json.loads, Path(args.results).read_text().splitlines())}
    ours = [rows[d["id"]]["topics"] for d in documents]

    model = LocalMiniLM()
    embeddings = model.encode([d["text"] for d in documents])
    theirs, fit_s = bertopic_topics([d["text"] for d in documents], embeddings, model.model)
    detector = ZScoreTrendDetector()
    scores = {name: asyncio.run(score(documents, topics, model, detector, args.window))
              for name, topics in (("Medici TopicPipeline", ours), ("BERTopic 0.17.4", theirs))}

    print(f"{len(documents)} documents, {len(set(h for d in documents for h in d['human_topics'][:1]))} "
          f"primary human topics; BERTopic found {len({t[0] for t in theirs})} topics in {fit_s:.1f}s; "
          f"the pipeline {len({t[0] for t in ours if t})} primary topics")
    print("| model | label P | label R | label F1 | Chuang RDP | NMI | ARI | trend agreement |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, m in scores.items():
        print(_row(name, m))
    print("human trends:", json.dumps(scores["Medici TopicPipeline"]["human_trends"]))


if __name__ == "__main__":
    main()
