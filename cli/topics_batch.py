"""Batch topic detection for corpora too big for one request.

    medici topics batch data/art_corpus.jsonl --domain data/domains/art.yaml --out /tmp/medici-topics [--markdown]

Reads JSONL (`id`, `text`, optional `timestamp`, optional `human_topics`) from any URI smart_open
reads (local, https, s3, gs, .gz). Labelling goes through the TopicPipeline Serve handle in chunks,
so it spreads over every TopicPipeline and LLMServer replica of the cluster; a tqdm bar counts
documents. Then one call canonicalizes and marks trends (linear in the number of labels). Writes
`results.jsonl` (one line per document), `topics.json` (topics and trends), `chart.png`,
`labelling_errors.jsonl` (`id`, `index`, `message` of each document whose labelling failed), and, when
every document has `human_topics`, `metrics.json` and `vibe_check.md`.

`--address local` (the default) starts a local Ray and Serve with the app and stops them at the
end; `--address auto` (or ray://...) uses the app already deployed under `--app-name`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from pathlib import Path

from deployments.topics import corpus
from deployments.topics.base import LabelRun
from deployments.topics.chart import render_chart
from deployments.topics.domain import load_domain
from deployments.topics.labeling import failure_message

logger = logging.getLogger(__name__)


def read_documents(uri: str, limit: int | None = None) -> list[dict]:
    """Validated documents from a JSONL URI; a bad line stops the run with its line number."""
    try:
        return corpus.read_documents(uri, limit)
    except corpus.CorpusError as exc:
        raise SystemExit(str(exc)) from None


async def label_all(handle, texts: list[str], chunk_size: int, in_flight: int, domain: dict | None = None) -> LabelRun:
    """Labels for every text, `in_flight` chunks at a time through the handle, with a progress bar.

    A document whose labelling failed gets no labels and an entry in the run's `errors`; so does every
    document of a chunk whose whole call failed (a replica lost, every document timed out): one bad
    chunk of a large corpus is reported, not fatal to the rest of the run.
    """
    from tqdm import tqdm

    labels: list[list[str]] = [[] for _ in texts]
    failed: list[dict] = []
    limit = asyncio.Semaphore(in_flight)
    with tqdm(total=len(texts), unit="doc", desc="labelling") as bar:
        async def chunk(start: int) -> None:
            part = texts[start : start + chunk_size]
            try:
                async with limit:
                    run = await handle.label_run.remote(part, *([domain] if domain else []))
            except Exception as exc:  # noqa: BLE001 - recorded per document, the other chunks go on
                logger.warning("labelling documents %d-%d failed: %r", start, start + len(part) - 1, exc)
                failed.extend({"index": start + i, "message": failure_message(exc)} for i in range(len(part)))
            else:
                labels[start : start + len(part)] = run.labels
                failed.extend({**e, "index": start + e["index"]} for e in run.errors)
            bar.update(len(part))

        await asyncio.gather(*(chunk(s) for s in range(0, len(texts), chunk_size)))
    return LabelRun(labels, sorted(failed, key=lambda e: e["index"]))


def _handle(address: str, app_name: str, app_args: dict):
    import ray
    from ray import serve

    if address == "local":
        from app import build_app

        ray.init(address="local", include_dashboard=False, log_to_driver=False)
        serve.start(http_options={"host": "127.0.0.1", "port": 0})
        serve.run(build_app(app_args), name=app_name, route_prefix=None, blocking=False)
    else:
        ray.init(address=address, log_to_driver=False)
    return serve.get_deployment_handle("TopicPipeline", app_name=app_name)


async def run(args: argparse.Namespace, handle) -> dict:
    documents = read_documents(args.input, args.limit)
    taxonomy = [c.strip() for c in args.taxonomy.split(",")] if args.taxonomy else None
    started = time.perf_counter()
    domain = load_domain(args.domain).model_dump() if args.domain else None
    run = await label_all(handle, [d["text"] for d in documents], args.chunk_size, args.in_flight, domain)
    if documents and len(run.errors) == len(documents):
        raise SystemExit(f"labelling failed for every document; the first: {run.errors[0]['message']}")
    labelled = time.perf_counter()
    result = await handle.assemble.remote(documents, run.labels, args.window, taxonomy)
    finished = time.perf_counter()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for row in result["documents"]:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "topics.json").write_text(json.dumps({"topics": result["topics"], "trends": result["trends"]}, indent=1))
    (out / "chart.png").write_bytes(render_chart(result["trends"]))
    with open(out / "labelling_errors.jsonl", "w", encoding="utf-8") as f:
        for row in run.named_errors(documents):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = {
        "documents": len(documents),
        "topics": len(result["topics"]),
        "labelling_errors": len(run.errors),
        "labelling_s": round(labelled - started, 2),
        "total_s": round(finished - started, 2),
        "docs_per_s": round(len(documents) / (finished - started), 3),
        "rising": result["trends"]["rising"],
        "fading": result["trends"]["fading"],
    }
    if documents and all(d.get("human_topics") for d in documents):
        evaluation = await handle.evaluation.remote(documents, result, args.window)
        (out / "metrics.json").write_text(json.dumps(evaluation["metrics"], indent=1))
        (out / "vibe_check.md").write_text(evaluation["markdown"])
        summary["metrics"] = {k: v for k, v in evaluation["metrics"].items() if isinstance(v, (int, float))}
        if args.markdown:
            print(evaluation["markdown"])
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="JSONL URI (local path, https://, s3://, gs://, .gz)")
    parser.add_argument("--out", default="/tmp/medici-topics", help="output folder")
    parser.add_argument("--window", choices=["day", "week", "month"], default="month")
    parser.add_argument("--taxonomy", help="comma-separated expert categories")
    parser.add_argument("--domain", help="YAML file with the labelling instruction and examples "
                        "(e.g. data/domains/art.yaml); default: the deployment's domain")
    parser.add_argument("--limit", type=int, help="read at most this many documents")
    parser.add_argument("--chunk-size", type=int, default=16, help="documents per labelling call")
    parser.add_argument("--in-flight", type=int, default=4, help="labelling calls in flight")
    parser.add_argument("--address", default="local", help="'local' starts Ray+Serve here; else a Ray address")
    parser.add_argument("--app-name", default="medici")
    parser.add_argument("--app-args", default="{}", help="JSON AppArgs for a local app (e.g. topics settings)")
    parser.add_argument("--markdown", action="store_true", help="print the vibe-check table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    # a local batch run waits for the LLM as long as it takes: the queue is the whole corpus
    app_args = json.loads(args.app_args)
    app_args["llm_runtime"] = {"request_timeout_s": 3600.0, **app_args.get("llm_runtime", {})}
    handle = _handle(args.address, args.app_name, app_args)
    try:
        summary = asyncio.run(run(args, handle))
    finally:
        if args.address == "local":
            import ray
            from ray import serve

            serve.shutdown()
            ray.shutdown()
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
