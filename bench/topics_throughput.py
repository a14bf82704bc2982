"""Documents per second of the batch command, on N documents made by cycling the shipped corpus.

    python bench/topics_throughput.py --documents 1000 [--in-flight 4 --chunk-size 16]

Each copy keeps its text and timestamp under a new id, so the work per document is that of the
corpus. Starts a local Ray + Serve (as the batch command does), labels through the TopicPipeline
handle, canonicalizes, marks trends and draws the chart; prints the batch command's summary, whose
`docs_per_s` is end-to-end (labelling + canonicalization + trends) over the measured run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.topics_batch import main as batch_main  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--corpus", default="data/art_corpus.jsonl")
    parser.add_argument("--in-flight", default="4")
    parser.add_argument("--chunk-size", default="16")
    parser.add_argument("--app-args", default=json.dumps({"llm_runtime": {"max_batch_size": 32}}))
    args = parser.parse_args()

    corpus = [json.loads(line) for line in Path(args.corpus).read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.jsonl"
        with open(path, "w") as f:
            for n, doc in zip(range(args.documents), itertools.cycle(corpus)):
                f.write(json.dumps({"id": f"bench-{n:05d}", "text": doc["text"], "timestamp": doc["timestamp"]}) + "\n")
        summary = batch_main([str(path), "--out", str(Path(tmp) / "out"), "--in-flight", args.in_flight,
                              "--chunk-size", args.chunk_size, "--app-args", args.app_args])
    print(f"throughput: {summary['documents']} documents in {summary['total_s']} s = {summary['docs_per_s']} docs/s")


if __name__ == "__main__":
    main()
