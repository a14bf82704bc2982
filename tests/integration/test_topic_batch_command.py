"""The batch command's run against the session's real Serve app: the corpus read as a Ray Data dataset
(a local file, and from loopback servers: gzipped JSONL over HTTP, Parquet on S3, gzipped JSONL on GCS),
labelled in streamed batches through the TopicPipeline handle by the real model, the answer files written
by a TopicPipeline replica."""

from __future__ import annotations

import argparse
import asyncio
import functools
import gzip
import http.server
import json
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli.topics_batch import run

pytestmark = pytest.mark.integration

CORPUS_IDS = ["doc-005", "doc-006", "doc-015", "doc-068", "doc-069", "doc-025"]  # digital art and Japanese prints
HTTP_IDS = ["doc-001", "doc-002", "doc-010", "doc-011", "doc-040", "doc-041", "doc-080"]  # none labelled above


def _corpus(ids: list[str]) -> list[dict]:
    corpus = [json.loads(line) for line in Path("data/art_corpus.jsonl").read_text().splitlines()]
    return [doc for doc in corpus if doc["id"] in ids]


def _args(source: str, out: Path, chunk_size: int = 4) -> argparse.Namespace:
    return argparse.Namespace(input=source, out=str(out), window="month", taxonomy=None, limit=None,
                              chunk_size=chunk_size, in_flight=2, markdown=False, domain=None, app_name="medici",
                              storage_options=None, output=None)


@pytest.fixture
def loopback(tmp_path: Path):
    """A plain HTTP server on loopback serving `tmp_path/www`."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_batch_run_writes_results_chart_errors_and_metrics(base_url, tmp_path: Path):
    from ray import serve

    chosen = _corpus(CORPUS_IDS)
    source = tmp_path / "six.jsonl"
    source.write_text("".join(json.dumps(doc) + "\n" for doc in chosen))
    handle = serve.get_deployment_handle("TopicPipeline", app_name="medici")

    summary = asyncio.run(run(_args(str(source), tmp_path / "out"), handle))

    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [doc["id"] for doc in chosen]  # order kept across two batches
    assert all(r["primary_topic"] == (r["topics"][0] if r["topics"] else None) for r in rows)
    assert summary["documents"] == 6 and summary["labelling_errors"] == 0
    assert (out / "labelling_errors.jsonl").read_text() == ""
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    topics = json.loads((out / "topics.json").read_text())
    assert sum(1 for t in topics["topics"] for d in t["document_ids"] if d in CORPUS_IDS) >= 6
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["nmi"] <= 1.0 and metrics["nmi"] == summary["metrics"]["nmi"]
    assert "| doc-005 |" in (out / "vibe_check.md").read_text()


def test_a_gzipped_jsonl_from_loopback_http_is_labelled_through_ray_data(base_url, tmp_path: Path, loopback):
    from ray import serve

    root, url = loopback
    chosen = _corpus(HTTP_IDS)
    with gzip.open(root / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps({k: v for k, v in doc.items() if k != "human_topics"}) + "\n" for doc in chosen))
    handle = serve.get_deployment_handle("TopicPipeline", app_name="medici")

    summary = asyncio.run(run(_args(f"{url}/corpus.jsonl.gz", tmp_path / "out", chunk_size=3), handle))

    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [doc["id"] for doc in chosen]
    assert all(r["labels"] for r in rows), rows  # every document labelled by the model
    assert summary["documents"] == len(chosen) and summary["labelling_errors"] == 0
    topics = json.loads((out / "topics.json").read_text())["topics"]
    assert topics and sum(t["count"] for t in topics) >= len(chosen)
    assert {d for t in topics for d in t["document_ids"]} == set(HTTP_IDS)
    labelled = pq.read_table(out / "labelled.parquet").to_pylist()
    assert [r["id"] for r in labelled] == HTTP_IDS and all(r["label_error"] is None for r in labelled)
    assert not (out / "metrics.json").exists()  # no human topics in this corpus


def test_a_bad_row_in_a_served_corpus_stops_the_run_naming_it(base_url, tmp_path: Path, loopback):
    from ray import serve

    root, url = loopback
    with gzip.open(root / "bad.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "fine", "text": "A mural."}) + "\n" + json.dumps({"id": "blank", "text": " "}) + "\n")
    handle = serve.get_deployment_handle("TopicPipeline", app_name="medici")
    with pytest.raises(SystemExit, match=r"bad\.jsonl\.gz: document 'blank': field `text`: must not be blank"):
        asyncio.run(run(_args(f"{url}/bad.jsonl.gz", tmp_path / "out"), handle))


def test_a_parquet_corpus_in_s3_is_read_and_the_answer_written_back_to_s3(base_url, tmp_path: Path):
    """A moto S3 server on loopback: the corpus read from s3:// as Parquet, the files written to s3://
    by the TopicPipeline replica (credentials in the storage options, which travel to Ray's workers)."""
    import socket

    import boto3
    import pyarrow as pa
    from moto.server import ThreadedMotoServer
    from ray import serve

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        options = {"endpoint_url": endpoint, "key": "testing-key-id", "secret": "testing-secret-value"}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=options["key"], aws_secret_access_key=options["secret"])
        s3.create_bucket(Bucket="corpora")
        chosen = _corpus(HTTP_IDS[:4])  # labelled by the loopback test before: label cache hits
        local = tmp_path / "corpus.parquet"
        pq.write_table(pa.Table.from_pylist([{k: d[k] for k in ("id", "text", "timestamp")} for d in chosen]), local)
        s3.upload_file(str(local), "corpora", "in/corpus.parquet")
        args = _args("s3://corpora/in/corpus.parquet", tmp_path, chunk_size=2)
        args.out, args.storage_options = "s3://corpora/out", json.dumps(options)
        args.output = "s3://corpora/results/run.jsonl.gz"  # the assignments and summary, gzipped, via smart_open
        handle = serve.get_deployment_handle("TopicPipeline", app_name="medici")

        summary = asyncio.run(run(args, handle))

        results = s3.get_object(Bucket="corpora", Key="out/results.jsonl")["Body"].read().decode()
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="corpora", Prefix="out/")["Contents"]}
        assignments = gzip.decompress(s3.get_object(Bucket="corpora", Key="results/run.jsonl.gz")["Body"].read())
        run_summary = gzip.decompress(s3.get_object(Bucket="corpora", Key="results/run.summary.json.gz")["Body"]
                                      .read())
        topics = json.loads(s3.get_object(Bucket="corpora", Key="out/topics.json")["Body"].read())
    finally:
        server.stop()
    assert [json.loads(line)["id"] for line in results.splitlines()] == [d["id"] for d in chosen]
    assert summary["documents"] == 4 and summary["labelling_errors"] == 0
    assert {"out/labelled.parquet", "out/topics.json", "out/chart.png", "out/labelling_errors.jsonl"} <= keys
    full = {row["id"]: row for row in map(json.loads, results.splitlines())}
    rows = [json.loads(line) for line in assignments.decode().splitlines()]
    assert [r["id"] for r in rows] == [d["id"] for d in chosen]
    assert all(r["labels"] for r in rows), rows  # every document labelled by the model
    assert {r["id"]: (r["topic"], r["topics"], r["labels"]) for r in rows} == {
        i: (f["primary_topic"], f["topics"], f["labels"]) for i, f in full.items()}
    written = json.loads(run_summary)
    assert written["topics"] == topics["topics"] and written["chart"] == topics["trends"]
    assert written["metrics"] is None and written["labelling_errors"] == []  # no human topics, nothing failed
    assert summary["output"] == {"assignments": "s3://corpora/results/run.jsonl.gz",
                                 "summary": "s3://corpora/results/run.summary.json.gz"}


def test_a_gzipped_jsonl_in_gcs_is_read_and_the_answer_written_back_to_gcs(base_url, tmp_path: Path):
    """A GCS-compatible server on loopback (gcp-storage-emulator, the JSON API Google's clients speak): the
    corpus read from gs:// as gzipped JSONL through pyarrow's GcsFileSystem, the folder written there by
    pyarrow and the results by smart_open's gs:// transport, both pointed at it by the storage options."""
    import socket

    from gcp_storage_emulator.server import create_server
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from ray import serve

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="corpora")
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        options = {"endpoint_url": endpoint, "anonymous": True}
        bucket = storage.Client(project="medici-test", credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": endpoint}).bucket("corpora")
        chosen = _corpus(HTTP_IDS[3:])  # partly labelled by the loopback test before
        bucket.blob("in/corpus.jsonl.gz").upload_from_string(
            gzip.compress("".join(json.dumps(doc) + "\n" for doc in chosen).encode()))
        args = _args("gs://corpora/in/corpus.jsonl.gz", tmp_path, chunk_size=2)
        args.out, args.storage_options = "gs://corpora/out", json.dumps(options)
        args.output = "gs://corpora/results/"  # a folder: assignments.jsonl and summary.json
        handle = serve.get_deployment_handle("TopicPipeline", app_name="medici")

        summary = asyncio.run(run(args, handle))

        names = {blob.name for blob in bucket.list_blobs()}
        results = bucket.blob("out/results.jsonl").download_as_bytes().decode()
        assignments = bucket.blob("results/assignments.jsonl").download_as_bytes().decode()
        run_summary = json.loads(bucket.blob("results/summary.json").download_as_bytes())
        topics = json.loads(bucket.blob("out/topics.json").download_as_bytes())
    finally:
        server.stop()
    assert summary["documents"] == len(chosen) == 4 and summary["labelling_errors"] == 0
    assert {"out/labelled.parquet", "out/topics.json", "out/chart.png", "out/labelling_errors.jsonl"} <= names
    assert [json.loads(line)["id"] for line in results.splitlines()] == [d["id"] for d in chosen]
    rows = [json.loads(line) for line in assignments.splitlines()]
    assert [r["id"] for r in rows] == [d["id"] for d in chosen]
    assert all(r["labels"] for r in rows), rows  # every document labelled by the model
    full = {row["id"]: row for row in map(json.loads, results.splitlines())}
    assert {r["id"]: r["labels"] for r in rows} == {i: f["labels"] for i, f in full.items()}
    assert run_summary["topics"] == topics["topics"] and run_summary["chart"] == topics["trends"]
    assert summary["output"] == {"assignments": "gs://corpora/results/assignments.jsonl",
                                 "summary": "gs://corpora/results/summary.json"}


def test_the_real_llm_server_reports_the_settings_the_label_cache_keys_on(base_url):
    """The label keys name the LLM's precision: the deployed LLMServer answers its settings through its handle."""
    from ray import serve

    from deployments.llm.client import HandleLLMClient
    from deployments.topics.label_cache import LLMFingerprint, settings_fingerprint

    handle = serve.get_deployment_handle("LLMServer", app_name="medici")
    settings = handle.output_settings.remote().result()
    assert settings["device"] == "cpu" and settings["quantize"] in ("auto", "none", "int8", "int4")
    assert set(settings) == {"model", "served_model_name", "device", "dtype", "quantize", "quantize_lm_head",
                             "lm_head_exact_top_k"}
    fingerprint = asyncio.run(LLMFingerprint(HandleLLMClient(handle))())
    assert fingerprint == settings_fingerprint(settings) and len(fingerprint) == 16
