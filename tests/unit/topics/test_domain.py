"""The labelling domain is data: settings, a request field, a YAML file; the default names no field."""

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from deployments.topics.domain import Domain, load_domain
from deployments.topics.labeling import build_prompt, few_shot_prompt
from deployments.topics.pipeline import TopicPipeline
from deployments.topics.settings import TopicSettings
from tests.unit.fakes import FakeEmbedder, FakeLLMClient

ROOT = Path(__file__).resolve().parents[3]
RECIPES = {"name": "recipes", "instruction": "Give up to {max_labels} cuisine labels.",
           "examples": [{"text": "Simmer lentils with cumin.", "labels": ["Indian cuisine", "Pulses"]}]}
DOCS = [{"id": "a", "text": "Fry the onions", "timestamp": "2025-01-01T00:00:00Z"},
        {"id": "b", "text": "Roast the onions", "timestamp": "2025-02-01T00:00:00Z"}]


def test_the_default_prompt_is_the_neutral_domain():
    assert build_prompt("x", 3) == few_shot_prompt(Domain())("x", 3)
    assert TopicSettings().domain == Domain()
    assert Domain().head(3).startswith("List up to 3 short topic labels")


def test_the_art_domain_file_rebuilds_the_art_prompt():
    art = load_domain(ROOT / "data/domains/art.yaml")
    prompt = few_shot_prompt(art)("A bronze by Rodin.", 3)
    assert art.name == "art" and len(art.examples) == 6
    assert prompt.startswith("List up to 3 short topic labels (art movement, medium or genre) for each document.\n\n")
    assert prompt.endswith("Document: A bronze by Rodin.\nTopics:\n1.") and prompt.count("Document:") == 7
    assert art.key() != Domain().key()


def test_an_instruction_may_only_use_max_labels():
    with pytest.raises(ValidationError):
        Domain(instruction="Label {text}")
    with pytest.raises(ValidationError):
        Domain(instruction="Label {")
    assert Domain(instruction="Label it, {{braces}} kept").head(2) == "Label it, {braces} kept"


def test_settings_and_a_request_choose_the_domain():
    client = FakeLLMClient({"onions": " Cooking"})
    pipeline = TopicPipeline(settings={"domain": RECIPES}, llm_client=client, text_embedder=FakeEmbedder())
    asyncio.run(pipeline.topics({"documents": DOCS}))
    assert all(r["prompt"].startswith("Give up to 3 cuisine labels.") for r in client.requests)
    client.requests.clear()
    other = {**RECIPES, "instruction": "Up to {max_labels} kitchen labels."}
    asyncio.run(pipeline.topics({"documents": DOCS, "domain": other}))
    assert all(r["prompt"].startswith("Up to 3 kitchen labels.") for r in client.requests)
    assert "Simmer lentils" in client.requests[0]["prompt"]


def test_an_experiment_fills_its_built_in_prompts_with_the_domain():
    client = FakeLLMClient({"onions": " Cooking"})
    pipeline = TopicPipeline(settings={}, llm_client=client, text_embedder=FakeEmbedder())
    docs = [{**d, "human_topics": ["Cooking"]} for d in DOCS]
    asyncio.run(pipeline.experiment({"documents": docs, "domain": RECIPES,
                                     "prompts": [{"name": "few_shot_list"}, {"name": "zero_shot"}]}))
    assert {r["prompt"].split("\n")[0] for r in client.requests} == {"Give up to 3 cuisine labels."}


def test_the_batch_command_sends_its_domain_file_with_every_chunk():
    from deployments.topics.base import LabelRun
    from cli.topics_batch import label_all, parse_args

    sent = []

    class Method:
        def remote(self, texts, *domain):
            sent.append(domain)

            async def answer():
                return LabelRun([[t] for t in texts])

            return answer()

    class Handle:
        label_run = Method()

    art = load_domain(ROOT / "data/domains/art.yaml").model_dump()
    run = asyncio.run(label_all(Handle(), ["a", "b", "c"], chunk_size=2, in_flight=1, domain=art))
    assert run.labels == [["a"], ["b"], ["c"]] and sent == [(art,), (art,)]
    asyncio.run(label_all(Handle(), ["a"], chunk_size=2, in_flight=1))
    assert sent[-1] == ()  # no --domain: the deployment's own
    assert parse_args(["x.jsonl", "--domain", "data/domains/art.yaml"]).domain == "data/domains/art.yaml"
