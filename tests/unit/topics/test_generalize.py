"""Cluster names generalized by the LLM (`generalize.py`), with a scripted LLM: no Ray, no model."""

import asyncio

from deployments.topics.domain import Domain, GeneralizeExample
from deployments.topics.generalize import ClusterNamer, cluster_labels, generalize_prompt, generalize_result
from deployments.topics.label_cache import MemoryLabelStore
from tests.unit.fakes import ScriptedLLM


def _category(request: dict) -> str:
    """Names a group by the last word its labels share most, as a stand-in for the model."""
    shown = request["prompt"].rsplit("Labels:", 1)[1].split("\nCategory:")[0]
    return " Finance\nLabels: x" if "Budget" in shown else " Graphics" if "Image" in shown else " "


def test_cluster_labels_are_distinct_most_frequent_first_and_capped():
    members = [["Budget tracker", "Banking"], ["banking", "Budget tracker"], ["Banking", "Taxes"], ["Invoices"]]
    assert cluster_labels(members, 8) == ["Banking", "Budget tracker", "Taxes", "Invoices"]
    assert cluster_labels(members, 2) == ["Banking", "Budget tracker"]
    assert cluster_labels([["A", "a"]], 8) == ["A"]  # a member counts a label once


def test_the_prompt_comes_from_the_domain_and_ends_with_an_open_category_line():
    domain = Domain(generalize_instruction="Name the art movement of each group.",
                    generalize_examples=[GeneralizeExample(labels=["Monet", "Water lilies"], name="Impressionism")])
    prompt = generalize_prompt(domain, ["Cubism", "Picasso"])
    assert prompt == ("Name the art movement of each group.\n\nLabels: Monet; Water lilies\nCategory: Impressionism\n\n"
                      "Labels: Cubism; Picasso\nCategory:")
    neutral = generalize_prompt(Domain(), ["X"])  # the default names no field of any corpus
    assert neutral.startswith(Domain().generalize_instruction) and neutral.endswith("Labels: X\nCategory:")


def test_names_are_cleaned_cached_and_a_failure_or_blank_gives_none():
    llm = ScriptedLLM(_category)
    store = MemoryLabelStore()

    async def fingerprint() -> str:
        return "int8"

    namer = ClusterNamer(llm, store=store, fingerprint=fingerprint, model="m")
    groups = [["Budget tracker", "Banking"], ["Image editor"], ["Weather"]]
    assert asyncio.run(namer.name(groups)) == ["Finance", "Graphics", ""]
    assert namer.llm_calls == 3
    request = llm.requests[0]
    assert request["temperature"] == 0.0 and request["stop"] == ["\n"] and request["max_tokens"] == 8
    again = ClusterNamer(llm, store=store, fingerprint=fingerprint, model="m")
    assert asyncio.run(again.name(groups)) == ["Finance", "Graphics", ""]
    assert again.llm_calls == 1  # only the blank one is asked again: a blank is not kept

    async def other() -> str:
        return "int4"

    elsewhere = ClusterNamer(llm, store=store, fingerprint=other, model="m")
    asyncio.run(elsewhere.name(groups[:1]))
    assert elsewhere.llm_calls == 1  # another precision of the LLM: another key

    class Failing:
        async def complete(self, request: dict) -> dict:
            raise RuntimeError("down")

    assert asyncio.run(ClusterNamer(Failing()).name([["Budget tracker"]])) == [""]


def _result() -> dict:
    """An assembled answer: two clusters (Budget tracker: 3 documents, Image editor: 2) and a topic
    that is only a secondary one (Taxes)."""
    docs = [(["Budget tracker", "Taxes"], ["Budget tracker", "Taxes"]), (["Banking"], ["Budget tracker"]),
            (["Budget tracker"], ["Budget tracker"]), (["Image editor"], ["Image editor"]), (["Photo"], ["Image editor"])]
    topics = [("Budget tracker", 3), ("Image editor", 2), ("Taxes", 1)]
    return {
        "topics": [{"label": label, "count": n, "document_ids": [], "labels": [label], "taxonomy": False}
                   for label, n in topics],
        "documents": [{"id": str(i), "labels": labels, "topics": t, "primary_topic": t[0], "primary_assigned": False}
                      for i, (labels, t) in enumerate(docs)],
        "shared_words": [],
        "trends": {"window": "month", "method": "changepoint", "windows": ["2025-01"],
                   "topics": [{"label": label, "status": "steady", "score": 0.0, "counts": [n], "change_window": None}
                              for label, n in topics],
                   "rising": ["Image editor"], "fading": []},
    }


def test_clusters_are_renamed_everywhere_and_keep_their_label_name():
    llm = ScriptedLLM(_category)
    out = asyncio.run(generalize_result(_result(), ClusterNamer(llm)))
    assert [(t["label"], t["label_name"]) for t in out["topics"]] == [
        ("Finance", "Budget tracker"), ("Graphics", "Image editor"), ("Taxes", "Taxes")]
    assert out["documents"][0]["topics"] == ["Finance", "Taxes"] and out["documents"][0]["primary_topic"] == "Finance"
    assert out["documents"][4]["primary_topic"] == "Graphics"
    assert [t["label"] for t in out["trends"]["topics"]] == ["Finance", "Graphics", "Taxes"]
    assert out["trends"]["rising"] == ["Graphics"]
    shown = [r["prompt"].rsplit("Labels: ", 1)[1] for r in llm.requests]
    # the cluster's own labels, most frequent first; secondary topics are not named
    assert shown == ["Budget tracker; Taxes; Banking\nCategory:", "Image editor; Photo\nCategory:"]


def test_a_name_another_topic_has_leaves_the_cluster_its_label_name():
    out = asyncio.run(generalize_result(_result(), ClusterNamer(ScriptedLLM(lambda r: " Finance"))))
    # the larger cluster takes the name; two clusters never merge by name
    assert [t["label"] for t in out["topics"]] == ["Finance", "Image editor", "Taxes"]
    taxes = asyncio.run(generalize_result(_result(), ClusterNamer(ScriptedLLM(lambda r: " taxes"))))
    assert [t["label"] for t in taxes["topics"]] == ["Budget tracker", "Image editor", "Taxes"]


def test_the_pipeline_names_clusters_with_the_requests_domain_and_reuses_cached_names():
    from deployments.topics.pipeline import TopicPipeline
    from tests.unit.fakes import FakeEmbedder

    def respond(request: dict) -> str:
        if request["prompt"].endswith("Category:"):
            return " Desserts" if "Apple pie" in request["prompt"].rsplit("Labels:", 1)[1] else " Sailing"
        return " Apple pie" if "apple" in request["prompt"].rsplit("Document:", 1)[1] else " Boats"

    llm = ScriptedLLM(respond)
    docs = [{"id": f"d{i}", "text": text, "timestamp": f"2025-{1 + i:02d}-01T00:00:00Z"}
            for i, text in enumerate(["red apple pie", "apple crumble", "green apple pie", "blue boat sail",
                                      "blue boat race", "blue boat trip"])]
    domain = {"generalize_instruction": "Name the cuisine of each group.",
              "generalize_examples": [{"labels": ["Pad thai", "Green curry"], "name": "Thai cuisine"}]}
    pipeline = TopicPipeline(settings={"generalize_names": True, "cluster_distance": 0.8}, llm_client=llm,
                             text_embedder=FakeEmbedder())
    result = asyncio.run(pipeline.topics({"documents": docs, "domain": domain}))
    assert [d["primary_topic"] for d in result["documents"]] == ["Desserts"] * 3 + ["Sailing"] * 3
    assert {t["label"]: t["label_name"] for t in result["topics"]} == {"Desserts": "Apple pie", "Sailing": "Boats"}
    naming = [r for r in llm.requests if r["prompt"].endswith("Category:")]
    assert len(naming) == 2 and all(r["prompt"].startswith("Name the cuisine of each group.") for r in naming)
    asked = len(llm.requests)
    again = asyncio.run(pipeline.topics({"documents": docs, "domain": domain}))
    assert len(llm.requests) == asked  # labels and names both come from the cache
    assert [t["label"] for t in again["topics"]] == [t["label"] for t in result["topics"]]
    off = TopicPipeline(settings={"cluster_distance": 0.8}, llm_client=ScriptedLLM(respond), text_embedder=FakeEmbedder())
    assert {t["label"] for t in asyncio.run(off.topics({"documents": docs}))["topics"]} == {"Apple pie", "Boats"}


def test_naming_requests_in_flight_are_bounded():
    class Counting:
        def __init__(self) -> None:
            self.now = self.most = 0

        async def complete(self, request: dict) -> dict:
            self.now += 1
            self.most = max(self.most, self.now)
            await asyncio.sleep(0)
            self.now -= 1
            return {"choices": [{"text": " Group"}]}

    client = Counting()
    names = asyncio.run(ClusterNamer(client, concurrency=2).name([[f"Label {i}"] for i in range(6)] + [[]]))
    assert names == ["Group"] * 6 + [""] and client.most == 2  # an empty group is not asked
