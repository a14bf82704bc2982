"""The documents table (LanceDB on a temporary directory), reciprocal rank fusion, corpus reading."""

import numpy as np
import pytest

from deployments.documents.corpus import check_document, read_jsonl
from deployments.documents.fusion import reciprocal_rank_fusion
from deployments.documents.table import DocumentTable
from deployments.errors import ServiceError
from deployments.storage import open_database


def _unit(*values):
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def _table(tmp_path):
    table = DocumentTable(open_database(str(tmp_path / "db")))
    docs = [{"id": "a", "text": "Acme revenue grew to 12 million dollars"},
            {"id": "b", "text": "The cat sat on the mat"},
            {"id": "c", "text": "Quarterly revenue report for the board"}]
    table.upsert(docs, np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0.7, 0, 0.7)]))
    return table


def test_rrf_fuses_by_rank_only():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=60)
    assert [item for item, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2][1] == pytest.approx(1 / 62)  # b: rank 2 in the first list only


def test_keyword_search_ranks_by_bm25_and_drops_non_matches(tmp_path):
    table = _table(tmp_path)
    results = table.keyword("revenue", 5)
    assert {r["id"] for r in results} == {"a", "c"} and all(r["score"] > 0 for r in results)
    assert table.keyword("unknownword", 5) == []


def test_semantic_search_is_cosine(tmp_path):
    hits = _table(tmp_path).semantic(_unit(1, 0, 0), 2)
    assert [hit["id"] for hit in hits] == ["a", "c"]
    assert hits[0]["score"] == pytest.approx(1.0) and hits[1]["score"] == pytest.approx(0.7071, abs=1e-3)


def test_re_adding_an_id_replaces_it_and_keyword_search_follows(tmp_path):
    table = _table(tmp_path)
    table.upsert([{"id": "b", "text": "Dogs chase revenue"}, {"id": "d", "text": "new"},
                  {"id": "d", "text": "newer text"}], np.stack([_unit(0, 0, 1)] * 3))
    assert table.count() == 4
    assert table.get("b")["text"] == "Dogs chase revenue" and table.get("d")["text"] == "newer text"
    assert "b" in {hit["id"] for hit in table.keyword("dogs", 3)}
    assert table.semantic(_unit(0, 0, 1), 1)[0]["id"] in {"b", "d"}
    assert table.get("missing") is None


def test_corpus_reads_gzip_jsonl(tmp_path):
    import gzip
    import json

    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps({"id": "x", "text": "hello"}) + "\n\n" + json.dumps({"id": "y", "text": "w"}) + "\n")
    assert [d["id"] for d in read_jsonl(str(path))] == ["x", "y"]


def test_bad_documents_are_400():
    with pytest.raises(ServiceError) as err:
        check_document({"id": 3, "text": "x"}, "documents[0]")
    assert err.value.status == 400 and "documents[0]" in err.value.message


def test_shipped_corpus_loads():
    docs = read_jsonl("data/company_docs.jsonl")
    assert len(docs) >= 30 and len({d["id"] for d in docs}) == len(docs)
