"""What an analyst reads, with fakes (no Ray): evaluation on the labelled subset, job records for past
runs, corpus errors in the caller's words (1-based lines, fields, counts, skipping), and storage errors
that name the URI and the cause."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import ValidationError

from deployments.errors import ServiceError
from deployments.topics.corpus import CorpusError, parse_lines, probe, read_corpus, storage_error
from deployments.topics.jobs import JobRequest
from deployments.topics.protocol import EvaluateRequest
from tests.unit.fakes import FakeLLMClient
from tests.unit.topics.test_jobs import ANSWERS, _docs, _pipeline, _until_done


def _half_labelled(n: int = 12) -> list[dict]:
    docs = _docs(n)
    for d in docs[n // 2:]:
        del d["human_topics"]
    return docs


def test_a_half_labelled_job_is_scored_on_its_labelled_documents():
    pipeline = _pipeline(FakeLLMClient(ANSWERS))

    async def scenario():
        submitted = await pipeline.submit_job({"documents": _half_labelled(12), "source_name": "half.jsonl",
                                               "window": "week"})
        return await _until_done(pipeline, submitted["id"]), await pipeline.list_jobs()

    job, listed = asyncio.run(scenario())
    assert job["state"] == "done"
    assert job["evaluation"] == {"labelled": 6, "total": 12, "summary": "on 6 of 12 labelled documents",
                                 "reason": None}
    assert job["metrics"]["nmi"] == pytest.approx(1.0)
    assert [row["id"] for row in job["vibe_check"]] == [f"d{i}" for i in range(6)]
    assert len(job["result"]["documents"]) == 12  # every document analysed
    row = listed["jobs"][0]
    assert (row["source"], row["window"], row["documents"], row["labelled"]) == ("half.jsonl", "week", 12, 6)
    assert row["topic_count"] == 2 and row["duration_s"] is not None and row["duration_s"] >= 0


def test_an_unlabelled_job_says_why_it_has_no_vibe_check():
    pipeline = _pipeline(FakeLLMClient(ANSWERS))

    async def scenario():
        submitted = await pipeline.submit_job({"documents": _docs(6, human=False)})
        return await _until_done(pipeline, submitted["id"])

    job = asyncio.run(scenario())
    assert job["metrics"] is None and job["vibe_check"] is None
    assert job["evaluation"]["labelled"] == 0 and "no document has `human_topics`" in job["evaluation"]["reason"]
    assert job["source"] == "6 documents" and job["labelled"] == 0


def test_evaluate_takes_a_half_labelled_request_and_refuses_an_unlabelled_one():
    answer = asyncio.run(_pipeline(FakeLLMClient(ANSWERS)).evaluate({"documents": _half_labelled(8)}))
    assert answer["evaluation"]["summary"] == "on 4 of 8 labelled documents" and len(answer["vibe_check"]) == 4
    with pytest.raises(ValidationError, match="no document has `human_topics`"):
        EvaluateRequest.model_validate({"documents": _docs(3, human=False)})


def test_corpus_lines_are_named_from_one_counted_and_skippable():
    lines = ['{"id": "a", "text": "alpha"}', '{"id": "b"}', "", "not json", '{"id": "a", "text": "again"}',
             '{"id": "c", "text": "gamma", "timestamp": "yesterday"}', '{"id": "d", "text": "delta"}']
    with pytest.raises(CorpusError) as bad:
        parse_lines(lines, "news.jsonl")
    message = str(bad.value)
    assert message.startswith("4 bad lines in news.jsonl: line 2: field `text` is required; line 4: not JSON")
    assert "line 5: id 'a' repeats line 1" in message and "line 6: field `timestamp`" in message
    assert "skip_bad_lines" in message and "LabelledDocument" not in message and "CorpusDocument" not in message
    documents, skipped = parse_lines(lines, "news.jsonl", skip=True)
    assert [d["id"] for d in documents] == ["a", "d"]
    assert [s["line"] for s in skipped] == [2, 4, 5, 6]


def test_a_job_over_an_uploaded_file_names_its_lines_and_can_skip_them():
    pipeline = _pipeline(FakeLLMClient(ANSWERS))
    text = "\n".join([json.dumps({"id": "a", "text": "alpha one"}), json.dumps({"id": "b", "txt": "beta"}),
                      json.dumps({"id": "c", "text": "beta two"})])
    with pytest.raises(ServiceError) as bad:
        asyncio.run(pipeline.submit_job({"jsonl": text, "source_name": "upload.jsonl"}))
    assert bad.value.status == 400 and bad.value.param == "jsonl"
    assert str(bad.value.message).startswith("1 bad line in upload.jsonl: line 2: field `text` is required")

    async def scenario():
        submitted = await pipeline.submit_job({"jsonl": text, "source_name": "upload.jsonl", "skip_bad_lines": True})
        return await _until_done(pipeline, submitted["id"])

    job = asyncio.run(scenario())
    assert job["state"] == "done" and job["documents"] == 2 and job["source"] == "upload.jsonl"
    assert job["skipped_count"] == 1 and job["skipped_lines"] == [{"line": 2, "message": "field `text` is required"}]


def test_inline_documents_are_named_by_their_position_and_two_sources_are_refused():
    with pytest.raises(ValidationError) as bad:
        JobRequest.model_validate({"documents": [{"id": "a", "text": "x"}, {"id": "b"}]})
    message = bad.value.errors()[0]["msg"]
    assert message == "1 bad document: document 2: field `text` is required."
    with pytest.raises(ValidationError, match="give one source"):
        JobRequest.model_validate({"documents": [{"id": "a", "text": "x"}], "corpus_uri": "s3://b/c.jsonl"})
    with pytest.raises(ValidationError, match="give one source"):
        JobRequest.model_validate({"jsonl": '{"id": "a", "text": "x"}', "corpus_uri": "s3://b/c.jsonl"})


def test_storage_errors_name_the_uri_and_the_cause(tmp_path):
    missing = str(tmp_path / "missing.jsonl")
    with pytest.raises(CorpusError) as gone:
        read_corpus(missing)
    assert str(gone.value) == f"cannot read {missing}: not found" and gone.value.code == "corpus_not_found"
    binary = tmp_path / "image.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(CorpusError) as not_text:
        probe(str(binary))
    assert not_text.value.code == "corpus_not_jsonl" and str(not_text.value).startswith(f"cannot read {binary}")
    csv = tmp_path / "table.jsonl"
    csv.write_text("id,text\na,alpha\n")
    with pytest.raises(CorpusError, match="not JSONL") as not_json:
        probe(str(csv))
    assert "alpha" not in str(not_json.value)  # never the file's contents

    class ClientError(Exception):  # the shape of botocore's error, without boto3
        def __init__(self, code: str, status: int) -> None:
            super().__init__(f"An error occurred ({code})")
            self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}

    assert storage_error("s3://b/k.jsonl", ClientError("NoSuchKey", 404)).code == "corpus_not_found"
    denied = storage_error("s3://b/k.jsonl", ClientError("AccessDenied", 403))
    assert str(denied) == "cannot read s3://b/k.jsonl: access denied"
    assert storage_error("s3://b/k.jsonl", PermissionError("/srv/secret/path")).code == "corpus_access_denied"
    assert "/srv/secret" not in str(storage_error("s3://b/k.jsonl", OSError("/srv/secret/path")))


def test_a_job_over_a_missing_uri_is_refused_at_once(tmp_path):
    pipeline = _pipeline(FakeLLMClient(ANSWERS))
    with pytest.raises(ServiceError) as bad:
        asyncio.run(pipeline.submit_job({"corpus_uri": str(tmp_path / "nope.jsonl")}))
    assert bad.value.status == 400 and bad.value.code == "corpus_not_found" and bad.value.param == "corpus_uri"
    assert asyncio.run(pipeline.list_jobs())["jobs"] == []


def test_s3_storage_errors_on_a_loopback_s3_server(monkeypatch):
    """The same causes from a real S3 API (moto's server on loopback, botocore's own errors): a missing key or
    bucket is "not found", bytes that are not text or lines that are not JSON are "not JSONL"."""
    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        options = {"endpoint_url": f"http://{host}:{port}"}
        s3 = boto3.client("s3", **options)
        s3.create_bucket(Bucket="corpora")
        s3.put_object(Bucket="corpora", Key="image.jsonl", Body=b"\xff\xfe\x00\x01")
        s3.put_object(Bucket="corpora", Key="table.jsonl", Body=b"id,text\na,alpha\n")
        codes = {}
        for key in ("s3://corpora/missing.jsonl", "s3://nobucket/x.jsonl", "s3://corpora/image.jsonl",
                    "s3://corpora/table.jsonl"):
            with pytest.raises(CorpusError) as bad:
                probe(key, options)
            assert str(bad.value).startswith(f"cannot read {key}: ")
            codes[key] = bad.value.code
    finally:
        server.stop()
    assert codes == {"s3://corpora/missing.jsonl": "corpus_not_found", "s3://nobucket/x.jsonl": "corpus_not_found",
                     "s3://corpora/image.jsonl": "corpus_not_jsonl", "s3://corpora/table.jsonl": "corpus_not_jsonl"}
