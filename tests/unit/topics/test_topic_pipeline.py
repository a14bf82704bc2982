"""The whole pipeline with a fake LLM client and a fake embedder: no Ray, no model."""

import asyncio

import pytest

from deployments.errors import ServiceError
from deployments.topics.pipeline import TopicPipeline
from tests.unit.fakes import FakeEmbedder, FakeLLMClient

ANSWERS = {
    "Monet": " Impressionism\n2. Claude Monet",
    "Degas": " Impressionism painting\n2. Edgar Degas",
    "NFT": " Digital art",
    "code": " Digital art works",
}


def _docs(month_of: dict[str, list[int]]) -> list[dict]:
    docs = []
    for key, months in month_of.items():
        for m in months:
            docs.append({"id": f"{key}-{len(docs)}", "text": f"A note about {key}.",
                         "timestamp": f"2025-{m:02d}-10T00:00:00Z", "human_topics": [key.title()]})
    return docs


def _pipeline(**settings) -> TopicPipeline:
    # grouping by labels: the fake texts differ by one word, so only their labels tell them apart
    return TopicPipeline(settings={"grouping": "labels", **settings}, llm_client=FakeLLMClient(ANSWERS), text_embedder=FakeEmbedder())


def test_topics_merges_labels_and_marks_the_planted_rise():
    docs = _docs({"Monet": list(range(1, 13)), "Degas": list(range(1, 13)), "NFT": [1, 5, 10, 10, 11, 11, 12, 12],
                  "code": [11, 12, 12]})
    result = asyncio.run(_pipeline(merge_threshold=0.6).topics({"documents": docs}))
    by_label = {t["label"]: t for t in result["topics"]}
    assert by_label["Impressionism"]["count"] == 24  # "Impressionism painting" merged in
    assert by_label["Digital art"]["count"] == 11  # "Digital art works" merged in
    assert result["topics"][0]["label"] == "Impressionism"
    assert result["documents"][0]["labels"] == ["Impressionism", "Claude Monet"]
    assert result["documents"][0]["primary_topic"] == "Impressionism"
    statuses = {t["label"]: t["status"] for t in result["trends"]["topics"]}
    assert statuses["Digital art"] == "rising" and statuses["Impressionism"] == "steady"
    assert result["trends"]["windows"][0] == "2025-01" and len(result["trends"]["windows"]) == 12
    assert result["trends"]["rising"] == ["Digital art"]


def test_taxonomy_names_topics_after_categories():
    docs = _docs({"Monet": [1, 2], "NFT": [1, 2]})
    result = asyncio.run(_pipeline(taxonomy_threshold=0.5).topics(
        {"documents": docs, "taxonomy": ["Impressionism movement", "Sculpture"], "window": "week"}))
    labels = {t["label"]: t["taxonomy"] for t in result["topics"]}
    assert labels["Impressionism movement"] is True
    assert labels["Digital art"] is False


def test_evaluate_scores_a_perfect_labeller_highly_and_renders_the_vibe_table():
    docs = _docs({"Monet": [1, 2, 3], "NFT": [1, 2, 3]})
    for d in docs:
        d["human_topics"] = ["Impressionism"] if "Monet" in d["text"] else ["Digital art"]
    out = asyncio.run(_pipeline().evaluate({"documents": docs}))
    assert out["metrics"]["nmi"] == pytest.approx(1.0) and out["metrics"]["ari"] == pytest.approx(1.0)
    assert out["metrics"]["label_recall"] == pytest.approx(1.0)
    assert out["metrics"]["chuang_rescaled_dot_product"] == pytest.approx(1.0)
    assert out["vibe_check"][0]["human_topics"] == ["Impressionism"]
    assert "| Monet-0 | A note about Monet. | Impressionism | Impressionism, Claude Monet |" in out["markdown"]


def test_chart_is_a_png_and_too_many_documents_is_413():
    docs = _docs({"Monet": [1, 2, 3]})
    png = asyncio.run(_pipeline().chart({"documents": docs}))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    with pytest.raises(ServiceError) as info:
        asyncio.run(_pipeline(max_documents=2).topics({"documents": docs}))
    assert info.value.status == 413


def test_documents_that_get_no_label_give_empty_topics_not_an_error():
    # schemathesis found this one: every label filtered out (empty or junk) used to crash canonicalize
    pipeline = TopicPipeline(settings={}, llm_client=FakeLLMClient({}, default=" 1999"), text_embedder=FakeEmbedder())
    docs = [{"id": "a", "text": "x", "timestamp": "2025-01-01T00:00:00Z"}, {"id": "b", "text": "y"}]
    result = asyncio.run(pipeline.topics({"documents": docs}))
    assert result["topics"] == []
    assert [d["labels"] for d in result["documents"]] == [[], []]
    png = asyncio.run(pipeline.chart({"documents": docs}))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_document_whose_labelling_fails_is_named_in_labelling_errors():
    from deployments import errors

    class Flaky(FakeLLMClient):
        async def complete(self, request: dict) -> dict:
            if "broken" in request["prompt"].rsplit("Document:", 1)[-1]:
                raise errors.timeout("the model did not answer in time")
            return await super().complete(request)

    pipeline = TopicPipeline(settings={}, llm_client=Flaky(ANSWERS), text_embedder=FakeEmbedder())
    docs = [{"id": "m", "text": "Monet"}, {"id": "x", "text": "broken"}]
    result = asyncio.run(pipeline.topics({"documents": docs}))
    assert result["labelling_errors"] == [{"id": "x", "index": 1, "message": "the model did not answer in time"}]
    assert [d["labels"] for d in result["documents"]] == [["Impressionism", "Claude Monet"], []]
    assert asyncio.run(_pipeline().topics({"documents": docs}))["labelling_errors"] == []
    with pytest.raises(ServiceError) as info:  # every document failed: the caller gets the LLM's 504
        asyncio.run(pipeline.topics({"documents": docs[1:]}))
    assert info.value.status == 504
