"""How high label F1 can go with the default model's own labels: the pipeline's names against names
chosen with the answer key, on three groupings of the same documents.

    python bench/topics_label_ceiling.py --label-db /tmp/labels        # every data/eval/topics corpus
    python bench/topics_label_ceiling.py debian_sections --halves dev

Why: `bench/topics_vs_bertopic.py` reports label F1; this says what limits it. A topic's name here is one
of the labels the LLM gave the topic's documents, so the figures bound what any naming rule over those
labels can score. Per corpus and half, with the same labels (the bench's label cache), the same
all-MiniLM-L6-v2 vectors and the same metric (`metrics.label_prf`):

- `pipeline`: the pipeline's output as `topics_vs_bertopic.py` scores it;
- groupings: the pipeline's clusters (`ours`), BERTopic's (`bertopic`) and the human categories (`human`:
  the clustering no unsupervised method reaches);
- namings, each document then carrying only its group's name:
  - `medoid`: the label nearest the mean of the group's labels (no answer key; the pipeline's rule, on
    raw rather than merged labels);
  - `oracle`: the member label with the best summed cosine to the members' human labels (answer key);
  - `words`: the same answer-key choice among the words and word pairs of the members' texts (English
    stop words out), names that a rule reading the text (c-TF-IDF, say) could pick instead of a label.

An `oracle` or `words` below 0.5 says that no rule naming that grouping from its members' labels, or
from their texts' words, reaches the issue's target; `human` bounds what better clustering alone could give.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.topics_vs_bertopic import (EVAL, LocalMiniLM, bertopic_topics, corpus_sets, label_sets,  # noqa: E402
                                      lance_store, medici_result)
from deployments.topics import metrics  # noqa: E402
from deployments.topics.label_cache import JsonlLabelStore  # noqa: E402
from deployments.topics.settings import TopicSettings  # noqa: E402


class Vectors(dict):
    """Label -> unit MiniLM vector, embedded on first use."""

    def __init__(self, embedder: LocalMiniLM) -> None:
        super().__init__()
        self.embedder = embedder

    def __missing__(self, label: str) -> np.ndarray:
        self[label] = self.embedder.encode([label])[0].astype(np.float64)
        return self[label]


def f1(human: list[list[str]], named: list[list[str]], vectors: Vectors) -> float:
    """Label F1 of per-document names against the human labels, as `evaluation.score` computes it."""
    dim = len(vectors[human[0][0]])
    return metrics.label_prf([np.array([vectors[h] for h in hs]) for hs in human],
                             [np.array([vectors[m] for m in ms]) if ms else np.zeros((0, dim)) for ms in named])["f1"]


def groups_of(primary: list[str | None]) -> list[list[int]]:
    """Document indices per primary topic (documents without one are left out)."""
    groups: dict[str, list[int]] = {}
    for i, topic in enumerate(primary):
        if topic is not None:
            groups.setdefault(topic, []).append(i)
    return list(groups.values())


def medoid_name(members: list[int], labels: list[list[str]], human: list[list[str]], vectors: Vectors) -> str | None:
    """The member label nearest the mean of the members' labels; `human` is not read."""
    carried = [label for i in members for label in dict.fromkeys(labels[i])]
    if not carried:
        return None
    centre = np.mean([vectors[label] for label in carried], axis=0)
    return max(sorted(set(carried)), key=lambda label: float(vectors[label] @ centre))


def oracle_name(members: list[int], labels: list[list[str]], human: list[list[str]], vectors: Vectors) -> str | None:
    """The member label (or word) with the best summed cosine to the members' nearest human labels."""
    candidates = sorted({label for i in members for label in labels[i]})
    if not candidates:
        return None
    return max(candidates, key=lambda label: sum(max(float(vectors[h] @ vectors[label]) for h in human[i])
                                                 for i in members))


def text_words(texts: list[str]) -> list[list[str]]:
    """Each text's distinct words and word pairs, English stop words out (scikit-learn's analyzer)."""
    from sklearn.feature_extraction.text import CountVectorizer

    analyze = CountVectorizer(stop_words="english", ngram_range=(1, 2)).build_analyzer()
    return [sorted(set(analyze(text))) for text in texts]


def named(groups: list[list[int]], n: int, rule, pool: list[list[str]], human: list[list[str]],
          vectors: Vectors) -> list[list[str]]:
    """Per document, the one name `rule` picks for its group from the members' `pool` (labels or words)."""
    out: list[list[str]] = [[] for _ in range(n)]
    for members in groups:
        name = rule(members, pool, human, vectors)
        for i in members:
            out[i] = [name] if name else []
    return out


async def ceiling_row(s: dict, settings: TopicSettings, embedder: LocalMiniLM) -> dict:
    docs = s["documents"]
    human = [list(d["human_topics"]) for d in docs]
    labels = [[label for label in row if label] for row in s["labels"]]
    texts = [d["text"] for d in docs]
    words = text_words(texts)
    vectors = Vectors(embedder)
    ours = [d["topics"] for d in (await medici_result(s, settings, embedder))["documents"]]
    theirs = bertopic_topics(texts, embedder.encode(texts), embedder.model)
    groupings = {"ours": groups_of([t[0] if t else None for t in ours]),
                 "bertopic": groups_of([t[0] for t in theirs]),
                 "human": groups_of([h[0] for h in human])}
    row = {"pipeline": f1(human, ours, vectors)}
    for grouping, groups in groupings.items():
        for rule_name, rule, pool in (("medoid", medoid_name, labels), ("oracle", oracle_name, labels),
                                      ("words", oracle_name, words)):
            row[f"{grouping}/{rule_name}"] = f1(human, named(groups, len(docs), rule, pool, human, vectors), vectors)
    return row


class NoLLM:
    """Stands in for the LLM: this script only reads labels the comparison bench cached."""

    async def complete(self, request: dict) -> dict:
        raise SystemExit("labels are missing from the cache: fill it first with "
                         "bench/topics_vs_bertopic.py --label-only and the same --label-db or --label-cache")


async def run(settings: TopicSettings, sets: list[dict], store) -> None:
    await label_sets(sets, settings, store, NoLLM())
    embedder = LocalMiniLM()
    columns = ["pipeline", *(f"{g}/{r}" for g in ("ours", "bertopic", "human") for r in ("medoid", "oracle", "words"))]
    print("| corpus | half | " + " | ".join(columns) + " |")
    print("| --- | --- |" + " --- |" * len(columns))
    for s in sets:
        row = await ceiling_row(s, settings, embedder)
        print(f"| {s['corpus']} | {s['half']} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Label F1 of the pipeline against names chosen with the answer key")
    parser.add_argument("corpora", nargs="*", help="art and/or folders of data/eval/topics (default: all)")
    parser.add_argument("--halves", default="dev,test", help="comma-separated halves of the held-out corpora")
    parser.add_argument("--label-cache", default="/tmp/medici-bench-labels.jsonl", help="label cache file")
    parser.add_argument("--label-db", help="the LanceDB label cache directory that topics_vs_bertopic.py filled")
    args = parser.parse_args(argv)
    names = args.corpora or ["art", *sorted(p.parent.name for p in EVAL.glob("*/spec.yaml"))]
    sets = corpus_sets(names, [h for h in args.halves.split(",") if h])
    store = lance_store(args.label_db) if args.label_db else JsonlLabelStore(args.label_cache)
    asyncio.run(run(TopicSettings(), sets, store))


if __name__ == "__main__":
    main()
