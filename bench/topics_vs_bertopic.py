"""This pipeline against BERTopic, side by side in one run, per corpus and per half, scored by the same code.

    python bench/topics_vs_bertopic.py                          # art + every data/eval/topics corpus
    python bench/topics_vs_bertopic.py debian_sections --halves dev --settings '{"merge_threshold": 0.6}'

Corpora: `art` (data/art_corpus.jsonl with data/domains/art.yaml; the prompt was chosen on it, so it is
no held-out figure) and every folder of data/eval/topics (its `dev` half to tune on, its `test` half to
report; a `domain:` in its spec.yaml names a domain file, else the neutral default domain is used).

Labels, and the cluster names the LLM generalizes (`topics.generalize_names`), come from the real default
model through a local Ray Serve app (started only when some label or name is missing) and are kept in a
label cache (`--label-cache` file or `--label-db`, keyed by text or cluster labels, prompt and model like
the deployment's), so tuning the later stages on a dev half does not relabel. Assembly, BERTopic and the
scores run in this process on the same all-MiniLM-L6-v2 vectors.

BERTopic 0.17.4 (requirements-bench.txt) gets the small-corpus settings that gave it its best NMI on the
shipped corpus: UMAP with 10 neighbours and 5 components, HDBSCAN min_cluster_size 3 and min_samples 1,
English stop words, outliers reassigned to the nearest topic by embedding. Its label for a topic is its
top three c-TF-IDF words. Both are scored by `deployments.topics.evaluation.score` (label F1 rescaled
BERTScore-style, NMI and ARI of primary topics) with the pipeline's default trend detector; "rise"/"fade"
say whether the model topic holding most of the planted category's documents is marked rising (or new)
/ fading.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deployments.topics.assemble import _timestamp, assemble_with  # noqa: E402
from deployments.topics.corpus import read_documents  # noqa: E402
from deployments.topics.canonical import LeaderCanonicalizer  # noqa: E402
from deployments.topics.domain import Domain, load_domain  # noqa: E402
from deployments.topics.evaluation import score  # noqa: E402
from deployments.topics.generalize import ClusterNamer, generalize_result  # noqa: E402
from deployments.topics.label_cache import CachedLabeler, JsonlLabelStore  # noqa: E402
from deployments.topics.labeling import PromptLabeler, few_shot_prompt  # noqa: E402
from deployments.topics.settings import TopicSettings  # noqa: E402
from deployments.topics.trends import settings_detector, trend_table  # noqa: E402

EVAL = ROOT / "data" / "eval" / "topics"


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


def corpus_sets(names: list[str], halves: list[str]) -> list[dict]:
    """(corpus, half, documents, domain, planted) for each requested corpus and half."""
    sets = []
    for name in names:
        if name == "art":
            sets.append({"corpus": "art", "half": "all", "documents": read_documents(str(ROOT / "data/art_corpus.jsonl")),
                         "domain": load_domain(ROOT / "data/domains/art.yaml"), "planted": {}})
            continue
        spec = yaml.safe_load((EVAL / name / "spec.yaml").read_text())
        domain = load_domain((EVAL / name / spec["domain"]).resolve()) if spec.get("domain") else Domain()
        planted = {"rise": spec["categories"][spec["rise"]], "fade": spec["categories"][spec["fade"]]}
        for half in halves:
            sets.append({"corpus": name, "half": half, "documents": read_documents(str(EVAL / name / f"{half}.jsonl")),
                         "domain": domain, "planted": planted})
    return sets


def lance_store(directory: str):
    """The deployment's durable label cache (LanceDB `topic_labels`) at a local directory."""
    from deployments.storage.database import open_database
    from deployments.topics.store import LanceLabelStore

    Path(directory).mkdir(parents=True, exist_ok=True)
    return LanceLabelStore(open_database(str(Path(directory).resolve())))


def labeler(client, settings: TopicSettings, domain: Domain, store) -> CachedLabeler:
    return CachedLabeler(PromptLabeler(client, settings.max_labels, settings.max_tokens, settings.max_text_chars,
                                       settings.label_concurrency, prompt=few_shot_prompt(domain, settings.label_format),
                                       label_format=settings.label_format), store)


async def label_sets(sets: list[dict], settings: TopicSettings, store, client,
                     chunk: int = 16) -> dict[str, int]:
    """Labels of every set, test halves first (they are what is reported), in chunks written to the cache
    as they finish, so an interrupted run keeps what it labelled."""
    calls = {}
    for s in sorted(sets, key=lambda s: {"test": 0, "dev": 1}.get(s["half"], 2)):
        cached = labeler(client, settings, s["domain"], store)
        texts = [d["text"] for d in s["documents"]]
        s["labels"] = []
        for start in range(0, len(texts), chunk):
            s["labels"] += (await cached.label_run(texts[start : start + chunk])).labels
            if cached.llm_calls:
                print(f"{s['corpus']}/{s['half']}: {len(s['labels'])}/{len(texts)} labelled", flush=True)
        calls[f"{s['corpus']}/{s['half']}"] = cached.llm_calls
        s["model"] = cached.model
    return calls


class LazyServeLLM:
    """The default model behind a local Serve app, started on the first request only, so a run whose
    labels and cluster names are all cached starts no Ray."""

    def __init__(self, llm_settings: dict | None = None) -> None:
        self.client = None
        self.llm_settings = llm_settings or {}

    def _start(self):
        import ray
        from ray import serve

        from app import build_app
        from deployments.llm.client import HandleLLMClient

        ray.init(address="local", include_dashboard=False, log_to_driver=False)
        serve.start(http_options={"host": "127.0.0.1", "port": 0})
        serve.run(build_app({"llm": self.llm_settings, "llm_runtime": {"request_timeout_s": 3600.0}}), name="bench-topics", route_prefix=None,
                  blocking=False)
        return HandleLLMClient(serve.get_deployment_handle("LLMServer", app_name="bench-topics"))

    async def complete(self, request: dict) -> dict:
        if self.client is None:
            started = time.perf_counter()
            self.client = self._start()
            print(f"started a local Serve app for missing labels or names in {time.perf_counter() - started:.0f}s",
                  flush=True)
        return await self.client.complete(request)

    def close(self) -> None:
        if self.client is not None:
            import ray
            from ray import serve

            serve.shutdown()
            ray.shutdown()


def bertopic_topics(texts: list[str], embeddings: np.ndarray, model) -> list[list[str]]:
    """One topic label per document from BERTopic fitted on the given embeddings."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

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
    return [[names[t]] for t in topics]


def planted_found(documents: list[dict], model_topics: list[list[str]], planted: dict, detector) -> dict:
    """Per planted trend: is the model topic holding most of that category's documents marked so?"""
    if not planted:
        return {}
    stamps = [_timestamp(d.get("timestamp")) for d in documents]
    groups: dict[str, list[int]] = {}
    for i, topics in enumerate(model_topics):
        if topics:
            groups.setdefault(topics[0], []).append(i)
    _, trends = trend_table(stamps, groups, "month", detector)
    found = {}
    for kind, category in planted.items():
        docs = [i for i, d in enumerate(documents) if d["human_topics"][0] == category]
        votes: dict[str, int] = {}
        for i in docs:
            if model_topics[i]:
                votes[model_topics[i][0]] = votes.get(model_topics[i][0], 0) + 1
        topic = max(votes, key=votes.get) if votes else None
        status = trends[topic].status if topic else None
        found[kind] = status in (("rising", "new") if kind == "rise" else ("fading",))
        found[f"{kind}_topic"] = f"{topic} ({status})"
    return found


async def medici_result(s: dict, settings: TopicSettings, embedder: LocalMiniLM, llm=None, store=None) -> dict:
    """The pipeline's result for a labelled set: assembly, then (with `topics.generalize_names`) the
    cluster names the LLM generalizes, as the deployment does."""
    result = await assemble_with(settings, s["documents"], s["labels"], embedder,
                                 LeaderCanonicalizer(settings.merge_threshold, settings.taxonomy_threshold),
                                 settings_detector(settings))
    result["naming_llm_calls"] = 0
    if settings.generalize_names and settings.grouping == "documents":
        namer = ClusterNamer(llm, s["domain"], max_labels=settings.generalize_max_labels, store=store,
                             model=s.get("model") or "")
        result = await generalize_result(result, namer)
        result["naming_llm_calls"] = namer.llm_calls
    return result


async def evaluate_set(s: dict, settings: TopicSettings, embedder: LocalMiniLM, llm=None, store=None) -> dict:
    detector = settings_detector(settings)
    docs = s["documents"]
    result = await medici_result(s, settings, embedder, llm, store)
    ours = [d["topics"] for d in result["documents"]]
    texts = [d["text"] for d in docs]
    theirs = bertopic_topics(texts, embedder.encode(texts), embedder.model)
    rows = {}
    for model, topics in (("Medici", ours), ("BERTopic", theirs)):
        m = await score(docs, topics, embedder, detector, "month")
        rows[model] = {"label_f1": m["label_f1"], "nmi": m["nmi"], "ari": m["ari"],
                       "topics": len({t[0] for t in topics if t}), **planted_found(docs, topics, s["planted"], detector)}
    rows["shared_words"] = result["shared_words"]
    rows["naming_llm_calls"] = result["naming_llm_calls"]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="TopicPipeline vs BERTopic per corpus and half")
    parser.add_argument("corpora", nargs="*", help="art and/or folders of data/eval/topics (default: all)")
    parser.add_argument("--halves", default="dev,test", help="comma-separated halves of the held-out corpora")
    parser.add_argument("--settings", default="{}", help="JSON TopicSettings overrides (tune on dev halves only)")
    parser.add_argument("--label-cache", default="/tmp/medici-bench-labels.jsonl", help="label cache file")
    parser.add_argument("--label-db", help="keep labels in the LanceDB label cache at this directory (the "
                        "deployment's `topic_labels` table) instead of the --label-cache file")
    parser.add_argument("--label-only", action="store_true", help="fill the label cache and stop")
    parser.add_argument("--out", help="write every row as JSON here")
    parser.add_argument("--llm-settings", default="{}", help="JSON `llm` settings of the Serve app that labels what "
                        "the cache lacks, e.g. '{\"int4_dense_rows\": 0}' (use a fresh --label-db to compare two)")
    args = parser.parse_args(argv)

    names = args.corpora or ["art", *sorted(p.parent.name for p in EVAL.glob("*/spec.yaml"))]
    settings = TopicSettings(**json.loads(args.settings))
    sets = corpus_sets(names, [h for h in args.halves.split(",") if h])
    store = lance_store(args.label_db) if args.label_db else JsonlLabelStore(args.label_cache)
    llm = LazyServeLLM(json.loads(args.llm_settings))
    try:
        asyncio.run(run(args, settings, sets, store, llm))
    finally:
        llm.close()


async def run(args, settings: TopicSettings, sets: list[dict], store, llm: LazyServeLLM) -> None:
    started = time.perf_counter()
    calls = await label_sets(sets, settings, store, llm)
    if sum(calls.values()):
        print(f"labelled {sum(calls.values())} documents in {time.perf_counter() - started:.0f}s (Serve start "
              f"included): {calls}")
    if args.label_only:
        return
    embedder = LocalMiniLM()
    print("| corpus | half | model | label F1 | NMI | ARI | topics | planted rise found | planted fade found |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    out = []
    for s in sets:
        rows = await evaluate_set(s, settings, embedder, llm, store)
        for model in ("Medici", "BERTopic"):
            r = rows[model]
            print(f"| {s['corpus']} | {s['half']} | {model} | {r['label_f1']:.3f} | {r['nmi']:.3f} | {r['ari']:.3f} "
                  f"| {r['topics']} | {r.get('rise', 'n/a')} {r.get('rise_topic', '')} "
                  f"| {r.get('fade', 'n/a')} {r.get('fade_topic', '')} |", flush=True)
        out.append({"corpus": s["corpus"], "half": s["half"], **rows})
    for row in out:
        print(f"shared words {row['corpus']}/{row['half']}: {row['shared_words']}; cluster names asked of the LLM: "
              f"{row['naming_llm_calls']}")
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
