"""Experiments (prompts x models x temperatures) with fake LLM clients and a fake embedder: no Ray."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from deployments import errors
from deployments.errors import ServiceError
from deployments.topics.domain import Domain
from deployments.topics.assemble import assemble
from deployments.topics.canonical import LeaderCanonicalizer
from deployments.topics.evaluation import score
from deployments.topics.experiment import ExperimentRequest, table_markdown
from deployments.topics.labeling import PromptLabeler
from deployments.topics.pipeline import TopicPipeline
from deployments.topics.prompts import BUILT_IN, check_template, prompt_builder
from deployments.topics.trends import ZScoreTrendDetector
from tests.unit.fakes import FakeEmbedder, FakeLLMClient

DOCS = [
    {"id": f"{key}-{i}", "text": f"A note about {key}.", "timestamp": f"2025-0{i + 1}-10T00:00:00Z",
     "human_topics": [topic]}
    for key, topic in (("Monet", "Impressionism"), ("NFT", "Digital art")) for i in range(3)
]


class ServedModel(FakeLLMClient):
    """A fake LLM serving one model name: 404 for any other `model`, like LLMServer; at temperature
    above 0 it answers the other topic, so temperature visibly changes the metrics."""

    def __init__(self, name: str, fail: Exception | None = None) -> None:
        super().__init__({"Monet": " Impressionism", "NFT": " Digital art"})
        self.name, self.fail = name, fail

    async def complete(self, request: dict) -> dict:
        if request.get("model") not in (None, self.name):
            raise errors.not_found(f"model '{request['model']}' does not exist", code="model_not_found")
        if self.fail is not None:
            raise self.fail
        response = await super().complete(request)
        if request["temperature"] > 0:
            swapped = {" Impressionism": " Digital art", " Digital art": " Impressionism"}
            response["choices"][0]["text"] = swapped.get(response["choices"][0]["text"], " Miscellany")
        return {**response, "model": self.name}


def _pipeline(**named) -> TopicPipeline:
    # grouping by labels: the fake texts differ by a word or two, so only their labels tell them apart
    return TopicPipeline(settings={"experiment_max_cells": 8, "grouping": "labels"}, llm_client=ServedModel("small"),
                         text_embedder=FakeEmbedder(), model_clients=named)


def _run(pipeline: TopicPipeline, **request) -> dict:
    return asyncio.run(pipeline.experiment({"documents": DOCS, **request}))


def test_one_row_per_cell_with_the_evaluation_metrics_of_its_labels():
    out = _run(_pipeline(), prompts=[{"name": "few_shot_list"}, {"name": "zero_shot"}], temperatures=[0, 0.7])
    table = out["table"]
    assert [(r["prompt"], r["model"], r["temperature"]) for r in table] == [
        ("few_shot_list", "small", 0.0), ("few_shot_list", "small", 0.7),
        ("zero_shot", "small", 0.0), ("zero_shot", "small", 0.7)]
    # the same metrics /v1/topics/evaluate computes, from the labels this fake gives at that temperature
    embedder, detector = FakeEmbedder(), ZScoreTrendDetector()
    for temperature in (0.0, 0.7):
        labels = asyncio.run(PromptLabeler(ServedModel("small"), temperature=temperature).label([d["text"] for d in DOCS]))
        result = asyncio.run(assemble(DOCS, labels, embedder, LeaderCanonicalizer(), detector, grouping="labels"))
        expected = asyncio.run(score(DOCS, [d["topics"] for d in result["documents"]], embedder, detector))
        for row in (r for r in table if r["temperature"] == temperature):
            for name in ("label_precision", "label_recall", "label_f1", "nmi", "ari", "trend_agreement"):
                assert row[name] == pytest.approx(expected[name])
            assert row["rdp"] == pytest.approx(expected["chuang_rescaled_dot_product"])
    greedy, hot = table[0], table[1]
    assert greedy["label_recall"] == pytest.approx(1.0) and greedy["nmi"] == pytest.approx(1.0)
    assert hot["label_recall"] < 0.5  # the fake swaps topics when sampling
    assert all(r["documents_labelled"] == 6 and r["errors"] == 0 and r["error"] is None for r in table)
    assert out["markdown"].count("\n| few_shot_list | small | 0 | 1.000 |") == 1
    assert len(out["markdown"].strip().split("\n")) == 2 + 4
    assert out["cells"][0]["vibe_check"][0]["model_topics"] == ["Impressionism"]
    assert "| Monet-0 |" in out["cells"][0]["markdown"]


def test_prompts_and_models_reach_the_llm_requests():
    big = ServedModel("big")
    pipeline = _pipeline(big=big)
    custom = "Doc: {text}\nUp to {max_labels} labels:"
    out = _run(pipeline, prompts=[{"name": "mine", "template": custom}], models=["big"], temperatures=[0.5], seed=9)
    assert [r["model"] for r in out["table"]] == ["big"]
    assert {r["model"] for r in big.requests} == {"big"} and {r["seed"] for r in big.requests} == {9}
    assert big.requests[0]["prompt"] == "Doc: A note about Monet.\nUp to 3 labels:"


def test_a_failing_cell_is_reported_in_its_row_and_all_failing_raises():
    down = ServedModel("down", fail=errors.unavailable("endpoint down"))
    out = _run(_pipeline(down=down), models=["small", "down"])
    ok, failed = out["table"]
    assert ok["error"] is None and ok["label_f1"] is not None
    assert failed["error"] == "endpoint down" and failed["errors"] == 6 and failed["label_f1"] is None
    assert "endpoint down" in out["markdown"].split("\n")[3]
    with pytest.raises(ServiceError) as info:
        _run(_pipeline(down=down), models=["down"])
    assert info.value.status == 503


def test_a_partly_failing_cell_names_its_documents():
    class Flaky(ServedModel):
        async def complete(self, request: dict) -> dict:
            if "NFT" in request["prompt"].rsplit("Document:", 1)[-1]:
                raise errors.timeout("too slow")
            return await super().complete(request)

    cell = _run(_pipeline(flaky=Flaky("flaky")), models=["flaky"])["cells"][0]
    assert cell["errors"] == 3 and cell["documents_labelled"] == 3
    assert cell["labelling_errors"][0] == {"id": "NFT-0", "index": 3, "message": "too slow"}


def test_an_unknown_model_is_404_before_any_labelling():
    pipeline = _pipeline()
    with pytest.raises(ServiceError) as info:
        _run(pipeline, models=["nope"])
    assert info.value.status == 404 and info.value.code == "model_not_found"
    assert len(pipeline.llm_client.requests) == 0 or all(r.get("max_tokens") == 1 for r in pipeline.llm_client.requests)
    assert [r["model"] for r in _run(pipeline, models=["small"])["table"]] == ["small"]  # the default's own name


def test_bounds_are_413_and_400():
    with pytest.raises(ServiceError) as info:
        asyncio.run(TopicPipeline(settings={"experiment_max_documents": 5}, llm_client=ServedModel("s"),
                                  text_embedder=FakeEmbedder()).experiment({"documents": DOCS}))
    assert info.value.status == 413 and info.value.code == "too_many_documents"
    with pytest.raises(ServiceError) as info:
        _run(_pipeline(), prompts=[{"name": "few_shot_list"}, {"name": "zero_shot"}, {"name": "comma_line"}],
             temperatures=[0, 0.5, 1.0])
    assert info.value.status == 400 and info.value.code == "too_many_cells" and "9 cells" in info.value.message


@pytest.mark.parametrize("prompts, match", [
    ([{"name": "nope"}], "unknown prompt 'nope'"),
    ([{"name": "x", "template": "no document here"}], "must contain {text}"),
    ([{"name": "x", "template": "{text} {other}"}], "unknown field"),
    ([{"name": "x", "template": "{text.__class__}"}], "unknown field"),
    ([{"name": "x", "template": "{text:>10}"}], "unknown field"),
    ([{"name": "x", "template": "{text"}], "not a format template"),
    ([{"name": "zero_shot"}, {"name": "zero_shot"}], "distinct"),
])
def test_bad_prompts_are_refused(prompts, match):
    with pytest.raises(ValidationError, match=match):
        ExperimentRequest.model_validate({"documents": DOCS, "prompts": prompts})


def test_request_defaults_and_other_bounds():
    parsed = ExperimentRequest.model_validate({"documents": DOCS})
    assert [p.name for p in parsed.prompts] == ["few_shot_list"] and parsed.temperatures == [0.0]
    assert parsed.cell_count() == 1
    for bad in ({"temperatures": [3]}, {"temperatures": [0, 0]}, {"models": [" "]}, {"models": []},
                {"documents": [{"id": "a", "text": "x"}]}):
        with pytest.raises(ValidationError):
            ExperimentRequest.model_validate({"documents": DOCS, **bad})


def test_built_in_prompts_hold_the_document_and_a_template_formats():
    for name, shape in BUILT_IN.items():
        build = shape(Domain())
        assert "A  Monet\nnote" not in build("A  Monet\nnote", 2) and "A Monet note" in build("A  Monet\nnote", 2)
    assert prompt_builder("x", "T: {text} ({max_labels}) {{json}}")("a  b", 2) == "T: a b (2) {json}"
    assert check_template("{text}") == "{text}"


def test_failing_cells_render_n_a_in_the_markdown():
    detail = {"prompt": "p", "model": "m", "temperature": 0.0, "metrics": None, "documents": 2,
              "documents_labelled": 0, "errors": 2, "latency_s": 0.1, "error": "endpoint down"}
    line = table_markdown([detail]).split("\n")[2]
    assert line == "| p | m | 0 | n/a | n/a | n/a | n/a | n/a | n/a | n/a | 0/2 | 2 | 0.100 | endpoint down |"
