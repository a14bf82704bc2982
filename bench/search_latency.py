"""DocumentStore search latency, bulk-add time and memory at 100,000 documents, on LanceDB.

    python bench/search_latency.py [--docs 100000] [--queries 200] [--single-adds 1000] [--dir DIR]

Drives the same `DocumentTable` the DocumentStore replica uses, in process (no HTTP hop), on a fresh
database directory. Documents are ~30 words drawn from a Zipf distribution over a 20,000-word
vocabulary; their vectors are random unit vectors (search cost does not depend on their values, and
embedding 100k texts on 2 cores would take many minutes), so bulk add is timed without embedding.
Each semantic and hybrid query is embedded by the real MiniLM model inside the timed span, as the
replica does; hybrid runs BM25 while the query is embedded, as the replica's two branches do.
Query embedding alone and semantic search alone are printed too, to tell the two costs apart.
Prints, from one run: bulk add (upserts, then index upkeep), p50/p95 per mode, the process's
resident memory before the model is loaded, and p50/p95 again after N single-document adds (each
its own commit, with the replica's background upkeep every 100 writes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployments.documents.store import fuse  # noqa: E402
from deployments.documents.table import DocumentTable  # noqa: E402
from deployments.storage import open_database  # noqa: E402

BULK_CHUNK = 10_000


def synthetic_corpus(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    vocabulary = [f"w{i}" + "".join(chr(97 + (i * 7 + j) % 26) for j in range(3)) for i in range(20_000)]
    ranks = np.minimum(rng.zipf(1.2, size=(n, 30)) - 1, len(vocabulary) - 1)
    texts = [" ".join(vocabulary[r] for r in row) for row in ranks]
    queries = [" ".join(vocabulary[r] for r in rng.integers(0, 2000, size=3)) for _ in range(1000)]
    return texts, queries


def unit_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    vectors = rng.standard_normal((n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"p50 {statistics.median(ms):6.2f} ms  p95 {ms[int(0.95 * (len(ms) - 1))]:6.2f} ms  max {ms[-1]:6.2f} ms"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(table: DocumentTable, embed, queries: list[str], k: int, pool: ThreadPoolExecutor) -> None:
    def semantic(q: str):
        return table.semantic(embed(q), k)

    def hybrid(q: str):
        keyword = pool.submit(table.keyword, q, 50)  # runs while the query is embedded
        return fuse([table.semantic(embed(q), 50), keyword.result()], k)

    vectors = {q: embed(q) for q in queries}
    modes = {"embed only": embed, "semantic search only": lambda q: table.semantic(vectors[q], k),
             "keyword": lambda q: table.keyword(q, k), "semantic": semantic, "hybrid": hybrid}
    for name, search in modes.items():
        samples = []
        for q in queries:
            started = time.perf_counter()
            hits = search(q)
            samples.append(time.perf_counter() - started)
            assert len(hits), f"{name} found nothing for {q!r}"
        print(f"  {name:<20} {percentiles(samples)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--single-adds", type=int, default=1000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--dir", default=None, help="database directory (default: a fresh temporary one)")
    parser.add_argument("--torch-threads", type=int, default=1, help="threads for the query embedding")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    texts, queries = synthetic_corpus(args.docs, rng)
    queries = queries[:args.queries]
    vectors = unit_vectors(args.docs, rng)
    directory = args.dir or tempfile.mkdtemp(prefix="medici-bench-")
    table = DocumentTable(open_database(directory), maintain_every=100)

    started = time.perf_counter()
    for start in range(0, args.docs, BULK_CHUNK):
        chunk = [{"id": f"doc-{i}", "text": texts[i], "metadata": {"shard": i % 10}}
                 for i in range(start, min(start + BULK_CHUNK, args.docs))]
        table.upsert(chunk, vectors[start:start + len(chunk)])
    upsert_s = time.perf_counter() - started
    started = time.perf_counter()
    table.maintain()  # compaction, new rows into the full-text index, the IVF vector index trained
    upkeep_s = time.perf_counter() - started
    print(f"{args.docs} documents in {directory}: bulk upsert {upsert_s:.1f}s + index upkeep {upkeep_s:.1f}s "
          f"= {upsert_s + upkeep_s:.1f}s (embedding excluded)", flush=True)
    print(f"resident memory of this process (table open, no model loaded): {rss_mib():.0f} MiB", flush=True)

    from sentence_transformers import SentenceTransformer

    from deployments.embeddings.embedder import bundled_minilm_dir

    import torch

    torch.set_num_threads(args.torch_threads)
    model = SentenceTransformer(bundled_minilm_dir(), device="cpu", local_files_only=True)

    def embed(q: str) -> np.ndarray:
        return model.encode([q], normalize_embeddings=True)[0]

    embed("warm up")
    with ThreadPoolExecutor(2) as pool:
        print(f"search, {len(queries)} queries, k={args.k}, query embedding included in semantic and hybrid:")
        measure(table, embed, queries, args.k, pool)

        extra = unit_vectors(args.single_adds, rng)
        started = time.perf_counter()
        for i in range(args.single_adds):
            table.upsert([{"id": f"single-{i}", "text": texts[i % len(texts)] + f" single{i}"}], extra[i:i + 1])
        single_s = time.perf_counter() - started
        print(f"after {args.single_adds} single-document adds ({single_s / max(args.single_adds, 1) * 1000:.1f} ms "
              f"each, commit included; total {table.count()}):", flush=True)
        measure(table, embed, queries, args.k, pool)


if __name__ == "__main__":
    main()
