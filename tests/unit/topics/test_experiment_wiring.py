"""`/v1/experiments` is wired: the route on the FastAPI app (fake handle), the extra LLMs bound to the
TopicPipeline, external endpoints from the settings, and the command's request (no Ray started)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.builder import build_app
from deployments.llm.client import HandleLLMClient
from deployments.llm.external import OpenAIEndpointClient
from cli.topics_experiment import build_request, parse_args
from deployments.topics.pipeline import TopicPipeline
from deployments.topics.settings import TopicSettings

DOC = {"id": "a", "text": "A Monet.", "human_topics": ["Impressionism"]}


class _Remote:
    def __init__(self) -> None:
        self.payloads: list[dict] = []

    def remote(self, payload: dict):
        self.payloads.append(payload)

        async def run():
            return {"table": [], "markdown": "", "cells": [], "documents": 1, "elapsed_s": 0.0}

        return run()


class FakeTopics:
    def __init__(self) -> None:
        self.experiment = _Remote()


@pytest.fixture
def client_and_topics(monkeypatch):
    monkeypatch.delenv("MEDICI_API_KEY", raising=False)
    monkeypatch.delenv("MEDICI_API_KEY_FILE", raising=False)
    topics = FakeTopics()
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=None, embedder=None, topics=topics))
    return TestClient(app, raise_server_exceptions=False), topics


def test_the_route_passes_the_parsed_request_to_the_pipeline(client_and_topics):
    client, topics = client_and_topics
    response = client.post("/v1/experiments", json={"documents": [DOC], "temperatures": [0, 0.7]})
    assert response.status_code == 200, response.text
    sent = topics.experiment.payloads[0]
    assert sent["temperatures"] == [0.0, 0.7] and sent["prompts"] == [{"name": "few_shot_list", "template": None}]


@pytest.mark.parametrize("body, param, words", [
    ({"documents": [DOC], "prompts": [{"name": "nope"}]}, "prompts.0", "unknown prompt 'nope'"),
    ({"documents": [DOC], "prompts": [{"name": "x", "template": "{txt}"}]}, "prompts.0.template", "unknown field"),
    ({"documents": [DOC], "temperatures": [5]}, "temperatures", "between 0 and 2"),
    ({"documents": [{"id": "a", "text": "x"}]}, "documents.0.human_topics", "required"),
])
def test_bad_requests_are_openai_400s_naming_the_field(client_and_topics, body, param, words):
    client, topics = client_and_topics
    response = client.post("/v1/experiments", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and words in error["message"]
    assert topics.experiment.payloads == []


def test_extra_llms_are_bound_to_the_topic_pipeline_too():
    app = build_app({"extra_llms": {"tuned": {"model": "/models/tuned"}}})
    ingress = app._bound_deployment
    topics = ingress.init_kwargs["topics"]._bound_deployment
    assert list(topics.init_kwargs["extra_llms"]) == ["tuned"]
    assert topics.init_kwargs["extra_llms"]["tuned"] is ingress.init_kwargs["extra_llms"]["tuned"]
    assert "extra_llms" not in build_app({})._bound_deployment.init_kwargs["topics"]._bound_deployment.init_kwargs


def test_named_models_are_the_extra_deployments_and_the_external_endpoints():
    settings = {"experiment_models": {"hosted": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}}}
    pipeline = TopicPipeline(llm=object(), embedder=object(), settings=settings, extra_llms={"tuned": object()})
    assert isinstance(pipeline.models.named["tuned"], HandleLLMClient)
    assert isinstance(pipeline.models.named["hosted"], OpenAIEndpointClient)
    with pytest.raises(ValidationError, match="kind must be 'openai'"):
        TopicSettings.model_validate({"experiment_models": {"x": {"kind": "serve"}}})


def test_the_command_builds_the_request_from_a_corpus(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps({**DOC, "id": str(i)}) for i in range(5)) + "\n")
    args = parse_args(["--corpus", str(corpus), "--prompts", "few_shot_list,zero_shot", "--temperatures", "0,0.7",
                       "--limit", "3", "--models", "a,b", "--max-tokens", "8",
                       "--templates", json.dumps({"mine": "Doc: {text}"})])
    request = build_request(args)
    assert [d["id"] for d in request["documents"]] == ["0", "1", "2"]
    assert request["prompts"] == [{"name": "few_shot_list"}, {"name": "zero_shot"},
                                  {"name": "mine", "template": "Doc: {text}"}]
    assert request["temperatures"] == [0.0, 0.7] and request["models"] == ["a", "b"] and request["max_tokens"] == 8
