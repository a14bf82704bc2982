"""Results to a URI: names, plain and gzipped files in a local folder, bad schemes, a failed write in a job."""

import asyncio
import gzip
import json

import pytest
from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.topics.results_uri import (OutputError, check_output_uri, output_names, transport_params,
                                            write_results)
from tests.unit.topics.test_jobs import ANSWERS, _docs, _pipeline, _until_done
from tests.unit.fakes import FakeLLMClient

RESULT = {
    "documents": [{"id": "a", "labels": ["Alpha x"], "topics": ["Alpha", "Beta"], "primary_topic": "Alpha"},
                  {"id": "b", "labels": [], "topics": [], "primary_topic": None}],
    "topics": [{"label": "Alpha", "count": 1, "document_ids": ["a"]},
               {"label": "Beta", "count": 1, "document_ids": ["a"]}],
    "trends": {"window": "month", "windows": ["2025-01"], "topics": {"Alpha": {"status": "steady", "counts": [1]}}},
}


def test_output_names_of_a_file_a_gzipped_file_and_a_folder():
    assert output_names("s3://b/run/out.jsonl") == ("s3://b/run/out.jsonl", "s3://b/run/out.summary.json")
    assert output_names("/x/out.jsonl.gz") == ("/x/out.jsonl.gz", "/x/out.summary.json.gz")
    assert output_names("gs://b/run/") == ("gs://b/run/assignments.jsonl", "gs://b/run/summary.json")
    assert output_names("/x/results") == ("/x/results", "/x/results.summary.json")


def test_writable_schemes_pass_and_others_are_refused():
    for uri in ("/tmp/out.jsonl", "out.jsonl", "file:///tmp/o.jsonl", "s3://b/k.jsonl.gz", "gs://b/k/"):
        assert check_output_uri(uri) == uri
    for uri in ("https://example.org/out.jsonl", "http://h/o", "ftp://h/o", "mailto:x@y"):
        with pytest.raises(ValueError, match="cannot write results"):
            check_output_uri(uri)


def test_storage_options_become_boto3_client_arguments_for_s3_only():
    options = {"endpoint_url": "http://127.0.0.1:9", "key": "k", "secret": "s", "anon": False}
    assert transport_params("s3://b/o.jsonl", options) == {"client_kwargs": {"S3.Client": {
        "endpoint_url": "http://127.0.0.1:9", "aws_access_key_id": "k", "aws_secret_access_key": "s",
        "region_name": "us-east-1"}}}
    assert transport_params("/tmp/o.jsonl", options) == {}
    assert transport_params("s3://b/o.jsonl", None) == {}
    assert transport_params("gs://b/o.jsonl", {"key": "k"}) == {}  # no endpoint: the default credential chain


def test_a_gcs_endpoint_becomes_a_storage_client_for_it():
    client = transport_params("gs://b/o.jsonl", {"endpoint_url": "http://127.0.0.1:9023", "anonymous": True})["client"]
    assert type(client).__name__ == "Client" and client.project == "anonymous"
    assert client._connection.API_BASE_URL == "http://127.0.0.1:9023"


def test_assignments_and_summary_in_a_local_folder_plain_and_gzipped(tmp_path):
    metrics = {"nmi": 0.5}
    errors = [{"id": "b", "index": 1, "message": "timed out"}]
    written = write_results(str(tmp_path / "new" / "run") + "/", RESULT, metrics, errors)
    assert written == {"assignments": f"{tmp_path}/new/run/assignments.jsonl",
                       "summary": f"{tmp_path}/new/run/summary.json"}
    rows = [json.loads(line) for line in (tmp_path / "new/run/assignments.jsonl").read_text().splitlines()]
    assert rows == [{"id": "a", "topic": "Alpha", "topics": ["Alpha", "Beta"], "labels": ["Alpha x"]},
                    {"id": "b", "topic": None, "topics": [], "labels": []}]
    summary = json.loads((tmp_path / "new/run/summary.json").read_text())
    assert summary == {"topics": RESULT["topics"], "chart": RESULT["trends"], "metrics": metrics,
                       "labelling_errors": errors}

    write_results(str(tmp_path / "z.jsonl.gz"), RESULT)
    with gzip.open(tmp_path / "z.jsonl.gz", "rt") as f:
        assert [json.loads(line)["id"] for line in f] == ["a", "b"]
    with gzip.open(tmp_path / "z.summary.json.gz", "rt") as f:
        assert json.load(f)["metrics"] is None


def test_a_write_that_fails_is_an_output_error_naming_the_uri(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match=r"writing results to '.*file/out\.jsonl' failed"):
        write_results(str(blocker / "out.jsonl"), RESULT)


def test_a_job_writes_its_results_to_its_output_uri(tmp_path):
    pipeline = _pipeline(FakeLLMClient(ANSWERS))
    out = tmp_path / "job" / "out.jsonl.gz"

    async def scenario():
        submitted = await pipeline.submit_job({"documents": _docs(6), "output_uri": str(out)})
        return await _until_done(pipeline, submitted["id"])

    job = asyncio.run(scenario())
    assert job["state"] == "done", job
    assert job["output"] == {"assignments": str(out), "summary": str(tmp_path / "job" / "out.summary.json.gz")}
    with gzip.open(out, "rt") as f:
        rows = {r["id"]: r for r in map(json.loads, f)}
    assert {i: r["topic"] for i, r in rows.items()} == {d["id"]: d["human_topics"][0] for d in _docs(6)}
    with gzip.open(tmp_path / "job" / "out.summary.json.gz", "rt") as f:
        summary = json.load(f)
    assert {t["label"] for t in summary["topics"]} == {"Alpha", "Beta"}
    assert summary["metrics"]["nmi"] == pytest.approx(1.0) and summary["chart"]["window"] == "month"


def test_a_job_whose_output_cannot_be_written_fails_saying_so_and_keeps_its_result(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    pipeline = _pipeline(FakeLLMClient(ANSWERS))

    async def scenario():
        submitted = await pipeline.submit_job({"documents": _docs(4), "output_uri": str(blocker / "o.jsonl")})
        return await _until_done(pipeline, submitted["id"])

    job = asyncio.run(scenario())
    assert job["state"] == "failed" and job["error"].startswith(f"writing results to '{blocker}/o.jsonl' failed")
    assert {t["label"] for t in job["result"]["topics"]} == {"Alpha", "Beta"}


def test_a_job_with_an_unwritable_scheme_is_a_400_at_submission():
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=None, embedder=None, topics=None))
    response = TestClient(app).post("/v1/topics/jobs", json={"documents": _docs(2), "output_uri": "https://h/o.jsonl"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "output_uri" and "cannot write results" in error["message"]
    assert error["type"] == "invalid_request_error"
