"""The batch command's run against the session's real Serve app, through the TopicPipeline handle."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from cli.topics_batch import run

pytestmark = pytest.mark.integration

CORPUS_IDS = ["doc-005", "doc-006", "doc-015", "doc-068", "doc-069", "doc-025"]  # digital art and Japanese prints


def test_batch_run_writes_results_chart_errors_and_metrics(base_url, tmp_path: Path):
    from ray import serve

    corpus = [json.loads(line) for line in Path("data/art_corpus.jsonl").read_text().splitlines()]
    chosen = [doc for doc in corpus if doc["id"] in CORPUS_IDS]
    source = tmp_path / "six.jsonl"
    source.write_text("".join(json.dumps(doc) + "\n" for doc in chosen))
    args = argparse.Namespace(input=str(source), out=str(tmp_path / "out"), window="month", taxonomy=None, limit=None,
                              chunk_size=4, in_flight=2, markdown=False, domain=None)
    handle = serve.get_deployment_handle("TopicPipeline", app_name="medici")

    summary = asyncio.run(run(args, handle))

    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [doc["id"] for doc in chosen]  # order kept across two chunks
    assert all(r["primary_topic"] == (r["topics"][0] if r["topics"] else None) for r in rows)
    assert summary["documents"] == 6 and summary["labelling_errors"] == 0
    assert (out / "labelling_errors.jsonl").read_text() == ""
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    topics = json.loads((out / "topics.json").read_text())
    assert sum(1 for t in topics["topics"] for d in t["document_ids"] if d in CORPUS_IDS) >= 6
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["nmi"] <= 1.0 and metrics["nmi"] == summary["metrics"]["nmi"]
    assert "| doc-005 |" in (out / "vibe_check.md").read_text()
