"""Search latency of the DocumentStore's index over 100,000 synthetic documents, per mode.

    python bench/search_latency.py [--docs 100000] [--queries 200] [--no-embedder]

Runs the same `DocumentIndex` the DocumentStore replica uses, in process, so the figures are the
store's own search time without the HTTP hop. Documents are ~30 words drawn from a Zipf
distribution over a 20,000-word vocabulary; their vectors are random unit vectors (search cost
does not depend on their values, and embedding 100k texts on 2 cores would take many minutes).
Query embedding (what semantic and hybrid add per request) is timed separately with the real
MiniLM model. Prints p50/p95/max per mode and the index build times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployments.documents.index import DocumentIndex  # noqa: E402


def synthetic_corpus(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    vocabulary = [f"w{i}" + "".join(chr(97 + (i * 7 + j) % 26) for j in range(3)) for i in range(20_000)]
    ranks = np.minimum(rng.zipf(1.2, size=(n, 30)) - 1, len(vocabulary) - 1)
    texts = [" ".join(vocabulary[r] for r in row) for row in ranks]
    queries = [" ".join(vocabulary[r] for r in rng.integers(0, 2000, size=3)) for _ in range(1000)]
    return texts, queries


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"p50 {statistics.median(ms):6.2f} ms  p95 {ms[int(0.95 * (len(ms) - 1))]:6.2f} ms  max {ms[-1]:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--no-embedder", action="store_true", help="skip timing the real query embedding")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    texts, queries = synthetic_corpus(args.docs, rng)
    vectors = rng.standard_normal((args.docs, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query_vectors = rng.standard_normal((args.queries, 384)).astype(np.float32)
    query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)

    index = DocumentIndex()
    started = time.perf_counter()
    index.add([{"id": f"doc-{i}", "text": t} for i, t in enumerate(texts)], vectors)
    add_s = time.perf_counter() - started
    started = time.perf_counter()
    index.keyword("warm up", 1)  # builds the BM25 index once, as the first keyword search after an add does
    bm25_s = time.perf_counter() - started
    print(f"{args.docs} documents: add {add_s:.2f}s, BM25 index build {bm25_s:.2f}s, {args.queries} queries, k={args.k}")

    modes = {
        "keyword": lambda q, v: index.keyword(q, args.k),
        "semantic": lambda q, v: index.semantic(v, args.k),
        "hybrid": lambda q, v: index.hybrid(q, v, args.k),
    }
    for name, search in modes.items():
        samples = []
        for q, v in zip(queries, query_vectors):
            started = time.perf_counter()
            hits = search(q, v)
            samples.append(time.perf_counter() - started)
            assert hits, f"{name} found nothing for {q!r}"
        print(f"  {name:<8} {percentiles(samples)}")

    if not args.no_embedder:
        from sentence_transformers import SentenceTransformer

        from deployments.embeddings.embedder import bundled_minilm_dir

        model = SentenceTransformer(bundled_minilm_dir(), device="cpu", local_files_only=True)
        model.encode(["warm up"], normalize_embeddings=True)
        samples = []
        for q in queries[:50]:
            started = time.perf_counter()
            model.encode([q], normalize_embeddings=True)
            samples.append(time.perf_counter() - started)
        print(f"  query embedding (MiniLM, added to semantic and hybrid) {percentiles(samples)}")


if __name__ == "__main__":
    main()
