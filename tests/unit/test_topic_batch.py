"""The batch command's reading and chunked labelling, with a fake handle (no Ray)."""

import asyncio
import gzip
import json

import pytest

from deployments.topics.batch import label_all, read_documents


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
    with pytest.raises(SystemExit, match="bad.jsonl:2"):
        read_documents(str(path))


class _Method:
    def __init__(self):
        self.calls = []

    def remote(self, texts):
        self.calls.append(list(texts))

        async def answer():
            return [[t.upper()] for t in texts]

        return answer()


class _Handle:
    def __init__(self):
        self.label = _Method()


def test_label_all_keeps_document_order_across_chunks():
    handle = _Handle()
    texts = [f"t{i}" for i in range(7)]
    labels = asyncio.run(label_all(handle, texts, chunk_size=3, in_flight=2))
    assert labels == [[t.upper()] for t in texts]
    assert [len(c) for c in handle.label.calls] == [3, 3, 1]
