"""External endpoints get constraints in their own dialect, and an answer that ignores them is an error.

Against a tiny hand-written endpoint on loopback (`http.server`) whose answer the test chooses."""

from __future__ import annotations

import asyncio
import json
from typing import Callable

import pytest

from deployments.errors import ServiceError
from deployments.llm.backend import LLMBackendSettings
from deployments.llm.dialects import translate
from deployments.llm.external import OpenAIEndpointClient
from tests.unit.fakes import LoopbackJSONServer


class Endpoint(LoopbackJSONServer):
    """Answers every completion with ``reply(body)`` and records the bodies."""

    def __init__(self, reply: Callable[[dict], str], finish: str = "stop") -> None:
        self.seen: list = []

        def respond(path: str, headers: dict, body: dict) -> tuple[int, dict]:
            self.seen.append(body)
            return 200, {"choices": [{"index": 0, "text": reply(body), "finish_reason": finish}]}

        super().__init__(respond)
        self.url = f"http://127.0.0.1:{self.port}/v1"


def _complete(endpoint: Endpoint, dialect: str, request: dict) -> dict:
    client = OpenAIEndpointClient(LLMBackendSettings(kind="openai", base_url=endpoint.url, dialect=dialect))
    return asyncio.run(client.complete({"prompt": "x", **request}))


@pytest.mark.parametrize(
    ("dialect", "request_fields", "sent"),
    [
        ("vllm", {"guided_choice": ["a", "b"]}, {"structured_outputs": {"choice": ["a", "b"]}}),
        ("vllm", {"response_format": {"type": "json_object"}}, {"structured_outputs": {"json": {"type": "object"}}}),
        ("vllm-legacy", {"structured_outputs": {"regex": "[0-9]+"}}, {"guided_regex": "[0-9]+"}),
        ("tgi", {"guided_choice": ["a.b", "c"]}, {"grammar": {"type": "regex", "value": "(a\\.b|c)"}}),
        ("tgi", {"guided_json": {"type": "integer"}}, {"grammar": {"type": "json", "value": {"type": "integer"}}}),
        ("openai", {"guided_json": {"type": "integer"}},
         {"response_format": {"type": "json_schema",
                              "json_schema": {"name": "output", "schema": {"type": "integer"}, "strict": True}}}),
    ],
)
def test_each_dialect_spells_the_constraint_its_own_way(dialect: str, request_fields: dict, sent: dict) -> None:
    body, spec = translate({"prompt": "x", **request_fields}, dialect)
    assert body == {"prompt": "x", **sent} and spec is not None


def test_free_text_is_sent_unchanged() -> None:
    assert translate({"prompt": "x", "max_tokens": 3}, "tgi") == ({"prompt": "x", "max_tokens": 3}, None)


@pytest.mark.parametrize("dialect", ["tgi", "openai"])
def test_a_constraint_the_dialect_cannot_express_is_a_400_before_sending(dialect: str) -> None:
    endpoint = Endpoint(lambda body: "a")
    try:
        with pytest.raises(ServiceError) as caught:
            _complete(endpoint, dialect, {"structured_outputs": {"grammar": 'start: "a"'}})
        assert caught.value.status == 400 and dialect in caught.value.message and not endpoint.seen
    finally:
        endpoint.stop()


@pytest.mark.parametrize("dialect", ["vllm", "vllm-legacy", "tgi", "openai"])
def test_an_endpoint_that_ignores_the_constraint_fails_closed(dialect: str) -> None:
    endpoint = Endpoint(lambda body: "Sure! Here is my answer: maybe")  # ignores every constraint field
    try:
        for fields in ({"guided_choice": ["yes", "no"]}, {"guided_json": {"type": "object"}},
                       {"structured_outputs": {"regex": "[0-9]+"}}):
            with pytest.raises(ServiceError) as caught:
                _complete(endpoint, dialect, fields)
            assert caught.value.status == 502 and "does not satisfy" in caught.value.message
            assert caught.value.code == "constraint_not_applied"
    finally:
        endpoint.stop()


def test_an_obeying_endpoint_passes_and_openai_choices_are_unwrapped() -> None:
    vllm = Endpoint(lambda body: body["structured_outputs"]["choice"][1])
    openai = Endpoint(lambda body: json.dumps({"value": "no"}))
    try:
        assert _complete(vllm, "vllm", {"guided_choice": ["yes", "no"]})["choices"][0]["text"] == "no"
        assert _complete(openai, "openai", {"guided_choice": ["yes", "no"]})["choices"][0]["text"] == "no"
    finally:
        vllm.stop()
        openai.stop()


def test_a_length_cut_answer_must_still_be_on_the_way_to_a_match() -> None:
    prefix = Endpoint(lambda body: '{"a": [1, 2', finish="length")
    wrong = Endpoint(lambda body: "hello", finish="length")
    try:
        assert _complete(prefix, "vllm", {"guided_json": {"type": "object"}})["choices"][0]["finish_reason"] == "length"
        with pytest.raises(ServiceError):
            _complete(wrong, "vllm", {"guided_json": {"type": "object"}})
    finally:
        prefix.stop()
        wrong.stop()
