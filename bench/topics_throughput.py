"""Documents per second of the batch command, on N documents made by cycling the shipped corpus, with
the engine's prefix cache off and on, in one run.

    python bench/topics_throughput.py --documents 200 [--prefix-cache off,on] [--in-flight 4 --chunk-size 16]

Each copy keeps its text and timestamp under a new id, so the work per document is that of the
corpus; the topic label cache is off (`topics.label_cache: false`), or the copies would be served
from it. For each prefix-cache setting: starts a local Ray + Serve (as the batch command does),
labels through the TopicPipeline handle with the default prompt, canonicalizes, marks trends and
draws the chart; prints the batch command's summary, whose `docs_per_s` is end-to-end (labelling +
canonicalization + trends) over the measured run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.topics_batch import main as batch_main  # noqa: E402


def app_args_for(base: dict, prefix_cache: str) -> dict:
    """``base`` with the label cache off and the engine's prefix cache as asked (off: 0 tokens)."""
    args = json.loads(json.dumps(base))
    args.setdefault("topics", {}).setdefault("label_cache", False)
    if prefix_cache == "off":
        args.setdefault("llm_runtime", {})["prefix_cache_tokens"] = 0
    return args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--corpus", default="data/art_corpus.jsonl")
    parser.add_argument("--in-flight", default="4")
    parser.add_argument("--chunk-size", default="16")
    parser.add_argument("--prefix-cache", default="off,on", help="comma-separated: off, on (the default setting)")
    parser.add_argument("--app-args", default=json.dumps({"llm_runtime": {"max_batch_size": 32}}))
    args = parser.parse_args()

    corpus = [json.loads(line) for line in Path(args.corpus).read_text().splitlines() if line.strip()]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
          f"documents={args.documents}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.jsonl"
        with open(path, "w") as f:
            for n, doc in zip(range(args.documents), itertools.cycle(corpus)):
                f.write(json.dumps({"id": f"bench-{n:05d}", "text": doc["text"], "timestamp": doc["timestamp"]}) + "\n")
        for setting in args.prefix_cache.split(","):
            app_args = app_args_for(json.loads(args.app_args), setting)
            summary = batch_main([str(path), "--out", str(Path(tmp) / f"out-{setting}"), "--in-flight", args.in_flight,
                                  "--chunk-size", args.chunk_size, "--app-args", json.dumps(app_args)])
            results[setting] = summary
            print(f"prefix cache {setting:3s}: {summary['documents']} documents in {summary['total_s']} s "
                  f"(labelling {summary['labelling_s']} s) = {summary['docs_per_s']} docs/s", flush=True)
    if "off" in results and "on" in results:
        print(f"prefix cache on / off: {results['on']['docs_per_s'] / results['off']['docs_per_s']:.2f}x docs/s")


if __name__ == "__main__":
    main()
