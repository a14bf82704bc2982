"""Topic routes through the real local Serve app and the real SmolLM2 + MiniLM models.

Small document sets: the LLM runs on 2 CPU cores, so each labelling call is kept to a few documents.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

DOCS = [
    {"id": "monet", "text": "The foundation acquired a Claude Monet painting of water lilies at Giverny.",
     "timestamp": "2025-01-10T00:00:00Z", "human_topics": ["Impressionism", "Acquisition"]},
    {"id": "hokusai", "text": "We bought a Hokusai woodblock print of the Great Wave, a Japanese ukiyo-e print.",
     "timestamp": "2025-03-02T00:00:00Z", "human_topics": ["Japanese prints", "Acquisition"]},
]
STATUSES = {"rising", "fading", "new", "steady"}


def _assert_openai_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["type"]
    return error


def test_topics_returns_topics_documents_and_trends(http):
    response = http.post("/v1/topics", json={"documents": DOCS, "window": "month"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["id"] for d in body["documents"]] == ["monet", "hokusai"]
    assert any(d["labels"] for d in body["documents"]), body
    for doc in body["documents"]:
        assert len(doc["labels"]) <= 3 and all(isinstance(x, str) and x for x in doc["labels"])
        assert doc["primary_topic"] == (doc["topics"][0] if doc["topics"] else None)
    for topic in body["topics"]:
        assert topic["count"] == len(topic["document_ids"]) >= 1
        assert set(topic["document_ids"]) <= {"monet", "hokusai"}
    assert body["trends"]["windows"] == ["2025-01", "2025-02", "2025-03"]
    assert {t["label"] for t in body["trends"]["topics"]} == {t["label"] for t in body["topics"]}
    assert all(t["status"] in STATUSES and len(t["counts"]) == 3 for t in body["trends"]["topics"])
    for trend in body["trends"]["topics"]:  # the badge: the windows of the change and the test's p-value
        assert trend["p_value"] is None or 0.0 <= trend["p_value"] <= 1.0
        assert (trend["window"] is None) == (trend["status"] == "steady")
        if trend["window"] is not None:
            assert trend["window"]["end"] == "2025-03" and trend["window"]["start"] in body["trends"]["windows"]
    names = [t["label"].casefold() for t in body["topics"]]
    assert len(names) == len(set(names))


def test_chart_is_a_png(http):
    response = http.post("/v1/topics/chart", json={"documents": DOCS[:1]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_returns_metrics_and_the_vibe_table(http):
    response = http.post("/v1/topics/evaluate", json={"documents": DOCS})
    assert response.status_code == 200, response.text
    body = response.json()
    metrics = body["metrics"]
    assert 0.0 <= metrics["nmi"] <= 1.0 and -1.0 <= metrics["ari"] <= 1.0
    assert 0.0 <= metrics["chuang_rescaled_dot_product"] <= 1.0
    assert -1.0 <= metrics["label_baseline"] < 1.0
    assert [r["human_topics"] for r in body["vibe_check"]] == [d["human_topics"] for d in DOCS]
    assert body["markdown"].count("\n| monet |") == 1
    assert body["evaluation"] == {"labelled": 2, "total": 2, "summary": "on 2 of 2 labelled documents",
                                  "reason": None}


def test_evaluate_scores_the_labelled_part_of_a_half_labelled_request(http):
    unlabelled = {"id": "monet-again", "text": DOCS[0]["text"], "timestamp": "2025-02-01T00:00:00Z"}  # cached label
    body = http.post("/v1/topics/evaluate", json={"documents": [*DOCS, unlabelled]}).json()
    assert body["evaluation"]["summary"] == "on 2 of 3 labelled documents"
    assert [r["id"] for r in body["vibe_check"]] == ["monet", "hokusai"]
    assert 0.0 <= body["metrics"]["nmi"] <= 1.0
    assert [d["id"] for d in body["result"]["documents"]] == ["monet", "hokusai", "monet-again"]


@pytest.mark.parametrize(
    "payload, param",
    [
        ({}, "documents"),
        ({"documents": []}, "documents"),
        ({"documents": DOCS, "window": "year"}, "window"),
        ({"documents": [{"id": "a", "text": "   "}]}, "documents"),
        ({"documents": [DOCS[0], DOCS[0]]}, "documents"),
        ({"documents": DOCS, "taxonomy": []}, "taxonomy"),
    ],
)
def test_bad_topic_requests_are_400(http, payload, param):
    error = _assert_openai_error(http.post("/v1/topics", json=payload), 400)
    assert error["param"] == param


def test_evaluate_needs_human_topics(http):
    error = _assert_openai_error(http.post("/v1/topics/evaluate", json={"documents": [
        {"id": "a", "text": "A Rodin bronze."}]}), 400)
    assert error["param"] == "documents" and "no document has `human_topics`" in error["message"]


def test_a_bad_document_is_named_by_its_position_and_field(http):
    error = _assert_openai_error(http.post("/v1/topics", json={"documents": [DOCS[0], {"id": "b"}]}), 400)
    assert error["message"].endswith("1 bad document: document 2: field `text` is required.")
    assert "TopicDocument" not in error["message"] and "LabelledDocument" not in error["message"]


def test_too_many_documents_is_413(http):
    documents = [{"id": str(i), "text": "x"} for i in range(2001)]
    error = _assert_openai_error(http.post("/v1/topics", json={"documents": documents}), 413)
    assert error["code"] == "too_many_documents"
