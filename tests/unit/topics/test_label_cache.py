"""Labels are cached by (text, prompt, model, LLM fingerprint): a grown corpus labels only its new documents."""

import asyncio

from deployments.topics.label_cache import CachedLabeler, JsonlLabelStore, MemoryLabelStore
from deployments.topics.labeling import PromptLabeler
from deployments.topics.pipeline import TopicPipeline
from tests.unit.fakes import FakeEmbedder, FakeLLMClient


class NamedModel(FakeLLMClient):
    """Answers like FakeLLMClient, naming `model` in every response."""

    def __init__(self, model: str) -> None:
        super().__init__({"alpha": " Alpha", "beta": " Beta"})
        self.model = model

    async def complete(self, request: dict) -> dict:
        return {**await super().complete(request), "model": self.model}


def _docs(n: int) -> list[dict]:
    return [{"id": f"d{i}", "text": f"{'alpha' if i % 2 else 'beta'} note {i}",
             "timestamp": f"2025-{1 + i % 12:02d}-01T00:00:00Z"} for i in range(n)]


def test_a_corpus_grown_by_ten_documents_makes_exactly_ten_llm_calls():
    client = NamedModel("small")
    pipeline = TopicPipeline(settings={}, llm_client=client, text_embedder=FakeEmbedder())
    first = asyncio.run(pipeline.topics({"documents": _docs(30)}))
    assert len(client.requests) == 30
    second = asyncio.run(pipeline.topics({"documents": _docs(40)}))
    assert len(client.requests) == 40  # exactly the 10 new documents
    assert [d["labels"] for d in second["documents"][:30]] == [d["labels"] for d in first["documents"]]
    asyncio.run(pipeline.chart({"documents": _docs(40)}))  # the chart reuses the labels
    assert len(client.requests) == 40


def test_another_domain_or_model_is_another_key():
    client = NamedModel("small")
    pipeline = TopicPipeline(settings={}, llm_client=client, text_embedder=FakeEmbedder())
    asyncio.run(pipeline.topics({"documents": _docs(4)}))
    asyncio.run(pipeline.topics({"documents": _docs(4), "domain": {"instruction": "Tag it ({max_labels})."}}))
    assert len(client.requests) == 8
    client.model = "large"  # the LLM behind the same store was swapped
    asyncio.run(pipeline.topics({"documents": _docs(6)}))
    assert len(client.requests) == 8 + 2  # the two new documents tell the new name...
    asyncio.run(pipeline.topics({"documents": _docs(6)}))
    assert len(client.requests) == 8 + 2 + 4  # ...so the next call relabels the old four with it, once
    asyncio.run(pipeline.topics({"documents": _docs(6)}))
    assert len(client.requests) == 14


def test_a_file_store_survives_the_process_and_failures_are_not_cached(tmp_path):
    path = tmp_path / "labels.jsonl"
    client = NamedModel("small")
    labeler = CachedLabeler(PromptLabeler(client), JsonlLabelStore(path))
    texts = ["alpha one", "beta two", "alpha three"]
    assert asyncio.run(labeler.label(texts)) == [["Alpha"], ["Beta"], ["Alpha"]]
    again = CachedLabeler(PromptLabeler(client), JsonlLabelStore(path))  # a restarted replica
    assert asyncio.run(again.label(texts)) == [["Alpha"], ["Beta"], ["Alpha"]]
    assert (len(client.requests), again.llm_calls, again.cache_hits) == (3, 0, 3)

    class Failing(NamedModel):
        async def complete(self, request: dict) -> dict:
            if "two" in request["prompt"].rsplit("Document:", 1)[-1]:
                raise RuntimeError("down")
            return await super().complete(request)

    flaky = CachedLabeler(PromptLabeler(Failing("small")), MemoryLabelStore())
    run = asyncio.run(flaky.label_run(texts))
    assert [e["index"] for e in run.errors] == [1] and run.labels[1] == []
    assert len(flaky.store.items) == 3  # two labels and the remembered model name, not the failure


class QuantizedModel(NamedModel):
    """A NamedModel that reports its output-affecting settings, as the LLMServer does."""

    def __init__(self, model: str, quantize: str) -> None:
        super().__init__(model)
        self.settings = {"model": model, "dtype": "auto", "quantize": quantize, "quantize_lm_head": False}
        self.asked = 0

    async def output_settings(self) -> dict:
        self.asked += 1
        return dict(self.settings)


def test_another_llm_fingerprint_misses_the_cache_and_the_same_one_hits():
    store = MemoryLabelStore()
    texts = ["alpha one", "beta two", "alpha three"]
    client = NamedModel("small")
    first = CachedLabeler(PromptLabeler(client), store, fingerprint="int4")
    asyncio.run(first.label(texts))
    assert (first.llm_calls, len(client.requests)) == (3, 3)

    same = CachedLabeler(PromptLabeler(client), store, fingerprint="int4")
    assert asyncio.run(same.label(texts)) == [["Alpha"], ["Beta"], ["Alpha"]]
    assert (same.llm_calls, same.cache_hits, len(client.requests)) == (0, 3, 3)

    other = CachedLabeler(PromptLabeler(client), store, fingerprint="fp32")
    asyncio.run(other.label(texts))
    assert (other.llm_calls, other.cache_hits, len(client.requests)) == (3, 0, 6)


def test_the_pipeline_keys_on_the_settings_the_llm_reports():
    from deployments.topics.label_cache import LLMFingerprint, settings_fingerprint

    store = MemoryLabelStore()
    client = QuantizedModel("small", "int4")
    pipeline = TopicPipeline(settings={}, llm_client=client, text_embedder=FakeEmbedder(), label_store=store)
    asyncio.run(pipeline.topics({"documents": _docs(4)}))
    asyncio.run(pipeline.topics({"documents": _docs(4)}))
    assert len(client.requests) == 4 and client.asked == 1  # the same settings: hits, asked once per ttl

    client.settings["quantize"] = "int8"  # the LLMServer redeployed with int8 weights, same model name
    restarted = TopicPipeline(settings={}, llm_client=client, text_embedder=FakeEmbedder(), label_store=store)
    asyncio.run(restarted.topics({"documents": _docs(4)}))
    assert len(client.requests) == 8  # every document relabelled under the new fingerprint

    client.settings["quantize"] = "int4"  # and back: the int4 labels are still there
    again = TopicPipeline(settings={}, llm_client=client, text_embedder=FakeEmbedder(), label_store=store)
    asyncio.run(again.topics({"documents": _docs(4)}))
    assert len(client.requests) == 8

    assert settings_fingerprint(None) == "" and settings_fingerprint({"q": 1}) == settings_fingerprint({"q": 1})
    assert settings_fingerprint({"q": "int4"}) != settings_fingerprint({"q": "int8"})
    assert asyncio.run(LLMFingerprint(NamedModel("x"))()) == ""  # an endpoint that reports nothing


def test_an_expired_fingerprint_is_asked_again():
    from deployments.topics.label_cache import LLMFingerprint

    client = QuantizedModel("small", "int4")
    fingerprint = LLMFingerprint(client, ttl_s=0.0)
    one = asyncio.run(fingerprint())
    client.settings["quantize"] = "int8"
    assert asyncio.run(fingerprint()) != one and client.asked == 2


def test_the_llm_server_reports_its_output_affecting_settings():
    from deployments.llm.server import LLMServer

    class Engine:
        device, context_length = "cpu", 2048

        def reconfigure(self, runtime) -> None: ...

        def shutdown(self) -> None: ...

    server = LLMServer({"quantize": "int8", "quantize_lm_head": True},
                       engine_factory=lambda settings, metrics: Engine())
    assert server.output_settings() == {"model": "smollm2", "served_model_name": "smollm2-135m-instruct",
                                        "device": "cpu", "dtype": "auto", "quantize": "int8", "quantize_lm_head": True,
                                        "lm_head_exact_top_k": 64}
