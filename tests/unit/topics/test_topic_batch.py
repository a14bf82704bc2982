"""The batch command's reading and chunked labelling, with a fake handle (no Ray)."""

import asyncio
import gzip
import json

import pytest

from deployments.errors import ServiceError
from deployments.topics.base import LabelRun
from cli.topics_batch import label_all, read_documents
from tests.unit.fakes import HandleMethod


def test_reads_gzipped_jsonl_through_smart_open(tmp_path):
    path = tmp_path / "docs.jsonl.gz"
    rows = [{"id": "a", "text": "Monet", "timestamp": "2025-01-01"},
            {"id": "b", "text": "Rodin", "human_topics": ["S"]}]
    with gzip.open(path, "wt") as f:
        f.write("\n".join(json.dumps(r) for r in rows) + "\n\n")
    docs = read_documents(str(path))
    assert [d["id"] for d in docs] == ["a", "b"]
    assert docs[0]["timestamp"] == "2025-01-01T00:00:00Z" and docs[1]["human_topics"] == ["S"]
    assert len(read_documents(str(path), limit=1)) == 1


def test_a_bad_line_names_its_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": ""}\n')
    with pytest.raises(SystemExit, match=r"bad.jsonl: line 2: field `text` must not be empty"):
        read_documents(str(path))


def _label_run(texts: list[str]) -> LabelRun:
    """A fake `label_run`: upper-cases texts, fails a text "bad", and a whole chunk with "down"."""
    if "down" in texts:
        raise ServiceError(503, "the model is not ready", "service_unavailable", "model_not_ready")
    failed = [{"index": i, "message": "internal error (ValueError)"} for i, t in enumerate(texts) if t == "bad"]
    return LabelRun([[] if t == "bad" else [t.upper()] for t in texts], failed)


class _Handle:
    def __init__(self):
        self.label_run = HandleMethod(_label_run)


def test_label_all_keeps_document_order_across_chunks():
    handle = _Handle()
    texts = [f"t{i}" for i in range(7)]
    run = asyncio.run(label_all(handle, texts, chunk_size=3, in_flight=2))
    assert run.labels == [[t.upper()] for t in texts] and run.errors == []
    assert [len(texts) for (texts,) in handle.label_run.calls] == [3, 3, 1]


def test_failed_documents_and_a_failed_chunk_are_reported_by_index_and_the_rest_labelled():
    texts = ["a", "bad", "c", "d", "down", "f", "g"]
    run = asyncio.run(label_all(_Handle(), texts, chunk_size=3, in_flight=2))
    assert run.labels == [["A"], [], ["C"], [], [], [], ["G"]]
    assert [e["index"] for e in run.errors] == [1, 3, 4, 5]
    assert run.errors[0]["message"] == "internal error (ValueError)"
    assert run.errors[1]["message"] == "the model is not ready"  # the chunk's ServiceError, for each of its documents
    documents = [{"id": f"doc-{t}"} for t in texts]
    assert [e["id"] for e in run.named_errors(documents)] == ["doc-bad", "doc-d", "doc-down", "doc-f"]
