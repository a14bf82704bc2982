"""The Ray Data corpus stages and the batch files, called directly on Arrow tables (no Ray)."""

import json

import pyarrow as pa
import pytest

from deployments.topics.batch_files import LabelledWriter, read_labelled, write_outputs
from deployments.topics.corpus import CorpusError
from deployments.topics.dataset import (corpus_error, excerpt, filesystem, filesystem_path, is_parquet, labelled_table,
                                        validate_batch)


def test_rows_are_validated_into_one_schema_whatever_arrow_inferred():
    import datetime as dt

    batch = pa.Table.from_pylist([
        {"id": "a", "text": "  Monet  ", "timestamp": dt.datetime(2025, 1, 2), "human_topics": ["Painting"]},
        {"id": "b", "text": "Rodin", "timestamp": None, "human_topics": None},
    ])
    rows = validate_batch(batch).to_pylist()
    assert rows[0]["timestamp"] == "2025-01-02T00:00:00Z" and rows[0]["human_topics"] == ["Painting"]
    assert rows[1] == {"id": "b", "text": "Rodin", "timestamp": None, "human_topics": None}


def test_a_bad_row_names_its_document_and_field():
    batch = pa.Table.from_pylist([{"id": "ok", "text": "fine"}, {"id": "empty", "text": "   "}])
    with pytest.raises(CorpusError, match=r"document 'empty': field `text`: must not be blank"):
        validate_batch(batch)


def test_the_corpus_error_is_found_under_the_exceptions_ray_wraps_it_in():
    class Wrapper(Exception):  # stands in for Ray's RayTaskError, which keeps the original as `cause`
        def __init__(self, cause):
            super().__init__("task failed")
            self.cause = cause

    try:
        try:
            raise Wrapper(CorpusError("document 'x': text: too short"))
        except Wrapper as inner:
            raise RuntimeError("dataset failed") from inner
    except RuntimeError as outer:
        assert str(corpus_error(outer)) == "document 'x': text: too short"
    assert corpus_error(RuntimeError("unrelated")) is None


def test_a_line_that_is_not_json_is_a_corpus_error_naming_the_line():
    import json

    class Wrapper(Exception):  # stands in for Ray's RayTaskError around the read task's exception
        def __init__(self, cause):
            super().__init__("read task failed")
            self.cause = cause

    try:
        json.loads('{"id": "a"}\nnot json')
    except json.JSONDecodeError as bad:
        assert str(corpus_error(Wrapper(bad))) == "not valid JSONL: Extra data (line 2, column 1)"


def test_filesystems_by_scheme():
    from fsspec.implementations.http import HTTPFileSystem

    assert isinstance(filesystem("https://example.org/c.jsonl.gz"), HTTPFileSystem)
    assert filesystem("/data/c.jsonl") is None and filesystem("s3://bucket/c.jsonl") is None
    custom = filesystem("s3://bucket/c.jsonl", {"endpoint_url": "http://127.0.0.1:9000"})
    assert type(custom).__name__ == "S3FileSystem"
    assert filesystem("gs://bucket/c.jsonl") is None
    gcs = filesystem("gs://bucket/c.jsonl", {"endpoint_url": "http://127.0.0.1:9023", "anonymous": True})
    assert type(gcs).__name__ == "GcsFileSystem"
    assert filesystem_path("gs://bucket/in/c.jsonl", gcs) == "bucket/in/c.jsonl"
    assert filesystem_path("gs://bucket/c", None) == "gs://bucket/c"
    assert is_parquet("s3://b/corpus.parquet") and not is_parquet("https://h/c.jsonl.gz")


def test_excerpt_is_bounded_and_folds_whitespace():
    assert excerpt("a\n b   c") == "a b c"
    assert excerpt("x" * 500, 10) == "x" * 9 + "\u2026"


def test_labelled_batches_round_trip_through_the_output_folder(tmp_path):
    rows = [{"id": f"d{i}", "text": f"text {i}", "timestamp": None, "human_topics": ["T"]} for i in range(5)]
    out = str(tmp_path / "out")
    with LabelledWriter(out) as writer:
        writer.write(labelled_table(rows[:3], [["A"], [], ["B"]], {1: "timed out"}))
        writer.write(labelled_table(rows[3:], [["A"], ["C"]], {}))
    assert (writer.rows, writer.failed, writer.first_error) == (5, 1, "timed out")
    documents, labels, errors = read_labelled(writer.uri)
    assert [d["id"] for d in documents] == [f"d{i}" for i in range(5)] and "timestamp" not in documents[0]
    assert labels == [["A"], [], ["B"], ["A"], ["C"]]
    assert errors == [{"id": "d1", "index": 1, "message": "timed out"}]

    result = {"documents": [{"id": "d0", "topics": ["A"]}], "topics": [], "trends": {"rising": []}}
    write_outputs(out, result, errors, b"png", {"metrics": {"nmi": 1.0}, "markdown": "| x |"})
    assert json.loads((tmp_path / "out" / "results.jsonl").read_text()) == {"id": "d0", "topics": ["A"]}
    assert (tmp_path / "out" / "labelling_errors.jsonl").read_text().count("\n") == 1
    assert json.loads((tmp_path / "out" / "metrics.json").read_text()) == {"nmi": 1.0}


def test_duplicate_ids_in_the_labelled_rows_are_a_corpus_error(tmp_path):
    rows = [{"id": "same", "text": "one"}, {"id": "same", "text": "two"}]
    with LabelledWriter(str(tmp_path)) as writer:
        writer.write(labelled_table(rows, [["A"], ["B"]], {}))
    with pytest.raises(CorpusError, match="unique"):
        read_labelled(writer.uri)


def test_the_corpus_error_is_read_from_a_workers_traceback_text_when_only_that_survived():
    wrapped = RuntimeError("ray::MapBatches(validate_batch)()\n  raise CorpusError(...)\n"
                           "deployments.topics.corpus.CorpusError: document 'blank': text: must not be blank\n\nhint")
    assert str(corpus_error(wrapped)) == "document 'blank': text: must not be blank"
    parse = RuntimeError("pyarrow.lib.ArrowInvalid: JSON parse error: Invalid value. in row 1")
    assert str(corpus_error(parse)).startswith("not valid JSONL or Parquet: JSON parse error")
