"""Batch topic detection for corpora too big for one request.

    medici topics batch data/art_corpus.jsonl --domain data/domains/art.yaml --out /tmp/medici-topics [--markdown]

Reads JSONL (`id`, `text`, optional `timestamp`, optional `human_topics`; .gz too) or Parquet from a
local path, https, s3 or gs as a Ray Data dataset, so the driver never holds the corpus. Labelling is
a Ray Data `map_batches` stage whose actors call the TopicPipeline Serve handle (its label cache
applies), spreading over every TopicPipeline and LLMServer replica of the cluster; the driver appends
each labelled batch to `<out>/labelled.parquet`, and a tqdm bar counts documents when stdout is a
terminal. Then one TopicPipeline replica reads that file, canonicalizes and marks trends, and writes
to `--out` (a folder, s3:// or gs://) `results.jsonl` (one line per document), `topics.json` (topics
and trends), `chart.png`, `labelling_errors.jsonl` (`id`, `index`, `message` of each document whose
labelling failed), and, when any document has `human_topics` (scored on those documents), `metrics.json` and `vibe_check.md`.

With `--output URI` the per-document assignments (JSONL) and the summary (topics, chart table, metrics;
JSON) are also written to a URI smart_open writes (a file, or a folder ending in `/`; `.gz` compresses);
see `deployments.topics.results_uri`. A bad scheme stops the run before labelling; a failed write ends it
with the replica's message.

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
from urllib.parse import urlparse

from deployments.topics import corpus, dataset
from deployments.topics.batch_files import LabelledWriter
from deployments.topics.base import LabelRun
from deployments.topics.domain import load_domain
from deployments.topics.labeling import failure_message
from deployments.topics.results_uri import OutputError, check_output_uri

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


def label_to_file(args: argparse.Namespace, app_name: str, domain: dict | None, out: str,
                  storage_options: dict | None) -> LabelledWriter:
    """Reads the corpus as a Ray Data dataset, labels it in streamed batches through the app's TopicPipeline
    (its label cache applies), and appends each labelled batch to `<out>/labelled.parquet` as it comes.

    The driver holds one batch at a time, so its memory does not grow with the corpus.
    """
    import sys

    from tqdm import tqdm

    dataset.configure()
    ds = dataset.read_dataset(args.input, args.limit, storage_options)
    labelled = dataset.label_dataset(ds, app_name, domain, args.chunk_size, args.in_flight)
    with LabelledWriter(out, storage_options) as writer, \
            tqdm(unit="doc", desc="labelling", disable=not sys.stdout.isatty()) as bar:
        try:
            for batch in labelled.iter_batches(batch_format="pyarrow", batch_size=None):
                writer.write(batch)
                bar.update(batch.num_rows)
        except Exception as exc:  # noqa: BLE001 - a bad corpus row stops the run naming it; the rest propagates
            found = dataset.corpus_error(exc)
            if found is not None:
                raise SystemExit(f"{args.input}: {found}") from None
            raise
    return writer


async def run(args: argparse.Namespace, handle) -> dict:
    """Labels through Ray Data into the output folder, then one TopicPipeline replica assembles the topics
    and writes the answer files there; answers the run's summary."""
    taxonomy = [c.strip() for c in args.taxonomy.split(",")] if args.taxonomy else None
    domain = load_domain(args.domain).model_dump() if getattr(args, "domain", None) else None
    storage_options = json.loads(args.storage_options) if getattr(args, "storage_options", None) else None
    out = args.out if urlparse(args.out).scheme else str(Path(args.out).resolve())
    output = getattr(args, "output", None)
    if output:
        try:  # a bad scheme stops the run before any labelling, not after it
            check_output_uri(output)
        except ValueError as exc:
            raise SystemExit(f"--output: {exc}") from None
        if not urlparse(output).scheme:
            output = str(Path(output).resolve()) + ("/" if output.endswith("/") else "")
    started = time.perf_counter()
    writer = await asyncio.to_thread(label_to_file, args, getattr(args, "app_name", "medici"), domain, out,
                                     storage_options)
    if writer.rows and writer.failed == writer.rows:
        raise SystemExit(f"labelling failed for every document; the first: {writer.first_error}")
    labelled = time.perf_counter()
    try:
        summary = await handle.finish_labelled.remote(writer.uri, out, args.window, taxonomy, storage_options,
                                                      output_uri=output)
    except OutputError as exc:  # Ray's error from the replica is also an OutputError; its message names the URI
        raise SystemExit(str(exc.cause if hasattr(exc, "cause") else exc)) from None
    finished = time.perf_counter()
    markdown = summary.pop("markdown", None)
    if markdown and args.markdown:
        print(markdown)
    return {**summary, "labelling_s": round(labelled - started, 2), "total_s": round(finished - started, 2),
            "docs_per_s": round(summary["documents"] / (finished - started), 3)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="JSONL (.gz too) or Parquet URI: local path, https://, s3://, gs://")
    parser.add_argument("--out", default="/tmp/medici-topics", help="output folder: local path, s3://, gs://")
    parser.add_argument("--output", help="also write the assignments (JSONL) and the summary (JSON) here: a file or "
                        "folder/ URI smart_open writes (local, s3://, gs://, ...); .gz compresses")
    parser.add_argument("--storage-options", help="JSON options of the input's and output's filesystem, e.g. "
                        '\'{"endpoint_url": "http://127.0.0.1:9000"}\' for an S3-compatible server (gs://: a '
                        'GCS-compatible one; "anonymous": true without credentials)')
    parser.add_argument("--window", choices=["day", "week", "month"], default="month")
    parser.add_argument("--taxonomy", help="comma-separated expert categories")
    parser.add_argument("--domain", help="YAML file with the labelling instruction and examples "
                        "(e.g. data/domains/art.yaml); default: the deployment's domain")
    parser.add_argument("--limit", type=int, help="read at most this many documents")
    parser.add_argument("--chunk-size", type=int, default=16, help="documents per labelling call (Ray Data batch)")
    parser.add_argument("--in-flight", type=int, default=4, help="labelling actors, one call in flight each")
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
