"""Distinct topic names and the "Other" fold (`topics.min_topic_size`, `topics.name_merge_cosine`), scored.

    python bench/topic_names.py --halves dev --label-db DIR                 # the grid, to choose on
    python bench/topic_names.py --halves test --label-db DIR --grid '[[2, 0.6]]'   # report the choice

Per corpus and half (the corpora and labels of `topics_vs_bertopic.py`, from the same label cache: run
that script with `--label-only` first to fill it) and per (min_topic_size, name_merge_cosine): label F1,
NMI and ARI of the primary topics (`evaluation.score`), how many topics are listed, how many of them hold
one document, and how many names repeat. No BERTopic and no LLM: the labels come from the cache (a
missing one starts the model through `topics_vs_bertopic.LazyServeLLM`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from topics_vs_bertopic import EVAL, LazyServeLLM, LocalMiniLM, corpus_sets, label_sets, lance_store, \
    medici_result  # noqa: E402

from deployments.topics.evaluation import score  # noqa: E402
from deployments.topics.settings import TopicSettings  # noqa: E402
from deployments.topics.trends import settings_detector  # noqa: E402

DEFAULT_GRID = [[1, 1.0], [2, 0.7], [3, 0.7], [2, 0.5]]  # [1, 1.0]: no fold and no merge (names still unique)


async def rows(sets: list[dict], grid: list[list[float]], base: dict, embedder: LocalMiniLM) -> list[dict]:
    out = []
    for s in sets:
        for min_size, merge in grid:
            settings = TopicSettings(**{**base, "min_topic_size": int(min_size), "name_merge_cosine": merge})
            result = await medici_result(s, settings, embedder)
            m = await score(s["documents"], [d["topics"] for d in result["documents"]], embedder,
                            settings_detector(settings), "month")
            # "Sports (2)" beside "Sports" is a repeated name to a reader
            names = Counter(re.sub(r" \(\d+\)$", "", t["label"]).casefold() for t in result["topics"])
            out.append({"corpus": s["corpus"], "half": s["half"], "min_topic_size": int(min_size),
                        "name_merge_cosine": merge, "label_f1": m["label_f1"], "nmi": m["nmi"], "ari": m["ari"],
                        "topics": len(result["topics"]),
                        "singletons": sum(1 for t in result["topics"] if t["count"] == 1 and not t.get("other")),
                        "other": next((t["count"] for t in result["topics"] if t.get("other")), 0),
                        "repeated_names": sum(n - 1 for n in names.values() if n > 1)})
            print(json.dumps(out[-1]), flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="topic name uniqueness and the Other fold, per corpus and half")
    parser.add_argument("corpora", nargs="*", help="art and/or folders of data/eval/topics (default: all)")
    parser.add_argument("--halves", default="dev", help="comma-separated halves (tune on dev only)")
    parser.add_argument("--label-db", required=True, help="the LanceDB label cache topics_vs_bertopic.py filled")
    parser.add_argument("--grid", default=json.dumps(DEFAULT_GRID),
                        help="JSON [[min_topic_size, name_merge_cosine], ...]")
    parser.add_argument("--settings", default="{}", help="other JSON TopicSettings overrides")
    args = parser.parse_args(argv)
    names = args.corpora or ["art", *sorted(p.parent.name for p in EVAL.glob("*/spec.yaml"))]
    sets = corpus_sets(names, [h for h in args.halves.split(",") if h])
    base = json.loads(args.settings)
    llm = LazyServeLLM()
    try:
        asyncio.run(label_sets(sets, TopicSettings(**base), lance_store(args.label_db), llm))
        table = asyncio.run(rows(sets, json.loads(args.grid), base, LocalMiniLM()))
    finally:
        llm.close()
    print("| corpus | half | min size | merge cosine | label F1 | NMI | ARI | topics | singletons | in Other "
          "| repeated names |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        print(f"| {r['corpus']} | {r['half']} | {r['min_topic_size']} | {r['name_merge_cosine']} | {r['label_f1']:.3f} "
              f"| {r['nmi']:.3f} | {r['ari']:.3f} | {r['topics']} | {r['singletons']} | {r['other']} "
              f"| {r['repeated_names']} |")
    means: dict[tuple, list[dict]] = {}
    for r in table:
        if r["corpus"] != "art":
            means.setdefault((r["half"], r["min_topic_size"], r["name_merge_cosine"]), []).append(r)
    print("\n| half | min size | merge cosine | mean label F1 | mean NMI | topics | singletons |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (half, size, merge), group in means.items():
        print(f"| {half} | {size} | {merge} | {sum(r['label_f1'] for r in group) / len(group):.3f} "
              f"| {sum(r['nmi'] for r in group) / len(group):.3f} | {sum(r['topics'] for r in group)} "
              f"| {sum(r['singletons'] for r in group)} |")


if __name__ == "__main__":
    main()
