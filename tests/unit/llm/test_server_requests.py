"""LLMServer's request -> jobs and jobs -> OpenAI bodies, over a hand-written engine (no Ray, no model).

The fake engine decodes with the per-row rules against random logits, so constraints, n, logprobs,
tools and stream chunks are checked end to end inside the replica class."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest
import torch

from deployments.errors import ServiceError
from deployments.llm import guided
from deployments.llm.jobs import GenerationJob
from deployments.llm.rows import Row, advance_rows, pick_tokens
from deployments.llm.server import LLMServer
from deployments.llm.settings import LLMRuntimeConfig, LLMSettings
from tests.unit.llm.fake_vocab import EOS, TOKENIZER, VOCAB, decode, encode


class FakeHF:
    """Stands for the HF tokenizer; its llguidance tokenizer is the fake vocabulary's."""


class FakeEngine:
    eos_id = EOS
    context_length = 4096
    device = torch.device("cpu")

    def __init__(self) -> None:
        self.tokenizer = FakeHF()
        guided._TOKENIZERS[self.tokenizer] = TOKENIZER
        self.prompts: list[list[dict]] = []

    def encode(self, text: str) -> list[int]:
        return encode(text)

    def decode(self, tokens: list[int]) -> str:
        return decode(tokens)

    def chat_prompt(self, messages: list[dict]) -> list[int]:
        self.prompts.append(messages)
        return [1, 2, 3]

    def shutdown(self) -> None: ...


def _server() -> LLMServer:
    server = object.__new__(LLMServer)  # __init__ loads a model: the fields it sets, by hand
    server.settings, server.engine, server.runtime = LLMSettings(), FakeEngine(), LLMRuntimeConfig()

    async def generate(job: GenerationJob) -> None:
        rows = [Row(job, encode, torch.device("cpu"))]
        gen = torch.Generator().manual_seed(job.seed or 0)
        while not rows[0].done:
            advance_rows(rows, pick_tokens(rows, torch.randn(1, len(VOCAB), generator=gen) * 3, [EOS]), {EOS}, decode)

    async def stream(job: GenerationJob):
        pieces: list[tuple[str, int]] = []
        job.emit = lambda text: pieces.append((text, len(job.token_logprobs)))  # as the replica's `_stream`
        await generate(job)
        for piece in pieces:
            yield piece

    server._generate = generate
    server._stream = stream
    return server


USER = [{"role": "user", "content": "hi"}]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 6}, "n": {"type": "integer"}},
          "required": ["city", "n"], "additionalProperties": False}


def test_n_choices_with_distinct_seeds_and_usage_counting_the_prompt_once() -> None:
    reply = asyncio.run(_server().completions({"prompt": "ab", "n": 3, "max_tokens": 5, "seed": 7,
                                               "structured_outputs": {"regex": "[a-z]{3}"}}))
    assert [c["index"] for c in reply["choices"]] == [0, 1, 2]
    assert all(len(c["text"]) == 3 and c["finish_reason"] == "stop" for c in reply["choices"])
    assert reply["usage"]["prompt_tokens"] == 2
    assert reply["usage"]["completion_tokens"] == sum(len(c["text"]) for c in reply["choices"])


@pytest.mark.parametrize("fields", [
    {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA}}},
    {"structured_outputs": {"json": SCHEMA}},
    {"guided_json": json.dumps(SCHEMA)},
])
def test_chat_json_schema_output_validates(fields: dict) -> None:
    reply = asyncio.run(_server().chat({"messages": USER, "max_tokens": 200, "seed": 3, **fields}))
    jsonschema.validate(json.loads(reply["choices"][0]["message"]["content"]), SCHEMA)


def test_logprobs_in_both_shapes() -> None:
    chat = asyncio.run(_server().chat({"messages": USER, "max_tokens": 4, "logprobs": True, "top_logprobs": 2,
                                       "temperature": 0}))
    content = chat["choices"][0]["logprobs"]["content"]
    assert len(content) == chat["usage"]["completion_tokens"] and len(content[0]["top_logprobs"]) == 2
    assert "".join(e["token"] for e in content) == chat["choices"][0]["message"]["content"]
    plain = asyncio.run(_server().completions({"prompt": "a", "max_tokens": 4, "logprobs": 1, "temperature": 0}))
    lp = plain["choices"][0]["logprobs"]
    assert len(lp["tokens"]) == len(lp["token_logprobs"]) == len(lp["top_logprobs"]) == len(lp["text_offset"])


TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}},
         {"type": "function", "function": {"name": "noop"}}]


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_required_and_named_tool_calls_parse_against_the_schema(choice) -> None:
    server = _server()
    reply = asyncio.run(server.chat({"messages": USER, "max_tokens": 300, "seed": 1, "tools": TOOLS,
                                     "tool_choice": choice}))
    first = reply["choices"][0]
    assert first["finish_reason"] == "tool_calls" and first["message"]["content"] is None
    call = first["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"].startswith("call_")
    if isinstance(choice, dict):
        assert call["function"]["name"] == "get_weather"
        jsonschema.validate(json.loads(call["function"]["arguments"]), SCHEMA)
    assert "get_weather" in server.engine.prompts[-1][0]["content"]  # the tools were shown to the model


def test_tool_choice_none_hides_the_tools_and_answers_text() -> None:
    server = _server()
    reply = asyncio.run(server.chat({"messages": USER, "max_tokens": 3, "tools": TOOLS, "tool_choice": "none"}))
    assert reply["choices"][0]["finish_reason"] in ("stop", "length") and "tool_calls" not in reply["choices"][0]["message"]
    assert all(m["role"] != "system" for m in server.engine.prompts[-1])


def test_streamed_tool_call_and_include_usage() -> None:
    async def collect() -> list[dict]:
        return [chunk async for chunk in _server().chat_stream(
            {"messages": USER, "max_tokens": 300, "seed": 1, "tools": TOOLS, "tool_choice": "required",
             "parallel_tool_calls": False, "stream": True, "stream_options": {"include_usage": True}})]

    chunks = asyncio.run(collect())
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert any("tool_calls" in d for d in deltas)
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_streamed_n_choices_carry_their_index() -> None:
    async def collect() -> list[dict]:
        return [chunk async for chunk in _server().completions_stream(
            {"prompt": "a", "n": 2, "max_tokens": 3, "seed": 1, "stream": True})]

    chunks = asyncio.run(collect())
    finals = [c["choices"][0] for c in chunks if c["choices"][0]["finish_reason"]]
    assert sorted(f["index"] for f in finals) == [0, 1]


def test_a_constraint_that_does_not_compile_for_the_vocabulary_is_a_400() -> None:
    with pytest.raises(Exception) as caught:
        asyncio.run(_server().completions({"prompt": "a", "guided_regex": "("}))
    assert "regex" in str(caught.value)


def test_unknown_model_is_404() -> None:
    with pytest.raises(ServiceError) as caught:
        asyncio.run(_server().completions({"prompt": "a", "model": "gpt-9"}))
    assert caught.value.status == 404
