"""Structured outputs, the newer OpenAI fields and /v1/embeddings over real HTTP, against the real model
on the session's Serve app: the official `openai` client and LangChain's OpenAI classes, unchanged."""

from __future__ import annotations

import json
import re

import httpx
import jsonschema
import pytest
from pydantic import BaseModel, Field

pytestmark = pytest.mark.integration

PERSON = {"type": "object", "additionalProperties": False, "required": ["name", "age"],
          "properties": {"name": {"type": "string", "maxLength": 16}, "age": {"type": "integer", "minimum": 0,
                                                                               "maximum": 120}}}
ASK_PERSON = [{"role": "user", "content": "Invent a person. Give their name and age."}]


def test_response_format_json_schema_validates(openai_client, model_name: str) -> None:
    for seed in range(2):
        reply = openai_client.chat.completions.create(
            model=model_name, messages=ASK_PERSON, max_tokens=60, temperature=1.0, seed=seed,
            response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}},
        )
        assert reply.choices[0].finish_reason == "stop"
        jsonschema.validate(json.loads(reply.choices[0].message.content), PERSON)


@pytest.mark.parametrize("pattern", [r"[0-9]{3}-[0-9]{4}", r"(red|green|blue) (cat|dog)"])
def test_structured_outputs_regex_fullmatches(openai_client, model_name: str, pattern: str) -> None:
    reply = openai_client.completions.create(model=model_name, prompt="Answer:", max_tokens=12, temperature=1.0,
                                             seed=5, n=2, extra_body={"structured_outputs": {"regex": pattern}})
    assert [c.index for c in reply.choices] == [0, 1]
    for choice in reply.choices:
        assert choice.finish_reason == "stop" and re.fullmatch(pattern, choice.text), choice.text


def test_a_constraint_longer_than_max_tokens_ends_with_length(http: httpx.Client) -> None:
    body = {"prompt": "x", "max_tokens": 2, "guided_choice": ["a very long answer that needs many tokens"]}
    choice = http.post("/v1/completions", json=body).json()["choices"][0]
    assert choice["finish_reason"] == "length"


def test_chat_logprobs_and_stream_usage(openai_client, model_name: str) -> None:
    reply = openai_client.chat.completions.create(model=model_name, messages=ASK_PERSON, max_tokens=4,
                                                  temperature=0, logprobs=True, top_logprobs=2)
    content = reply.choices[0].logprobs.content
    assert len(content) == reply.usage.completion_tokens and all(len(t.top_logprobs) == 2 for t in content)
    assert all(t.logprob <= 0 for t in content)
    chunks = list(openai_client.chat.completions.create(
        model=model_name, messages=ASK_PERSON, max_tokens=4, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens >= 1


TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                         "parameters": {"type": "object", "additionalProperties": False,
                                                        "required": ["city"],
                                                        "properties": {"city": {"type": "string", "maxLength": 20}}}}}


def test_required_tool_call_with_the_openai_client(openai_client, model_name: str) -> None:
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    reply = openai_client.chat.completions.create(model=model_name, messages=messages, max_tokens=40,
                                                  temperature=0, tools=[TOOL], tool_choice="required")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), TOOL["function"]["parameters"])


def test_unsupported_openai_field_is_400_and_unknown_field_is_ignored(http: httpx.Client) -> None:
    refused = http.post("/v1/chat/completions", json={"messages": ASK_PERSON, "logit_bias": {"5": 10}})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "logit_bias"
    accepted = http.post("/v1/completions", json={"prompt": "a", "max_tokens": 1, "not_an_openai_field": 1})
    assert accepted.status_code == 200


class Person(BaseModel):
    name: str = Field(max_length=16)
    age: int = Field(ge=0, le=120)


def _chat_openai(base_url: str, model_name: str):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=f"{base_url}/v1", api_key="unused", model=model_name, max_tokens=60,
                      temperature=0, max_retries=0)


def test_langchain_with_structured_output_and_bind_tools(base_url: str, model_name: str) -> None:
    llm = _chat_openai(base_url, model_name)
    person = llm.with_structured_output(Person).invoke("Invent a person with a name and an age.")
    assert isinstance(person, Person)
    message = llm.bind_tools([TOOL], tool_choice="get_weather").invoke("What is the weather in Rome?")
    assert message.tool_calls and message.tool_calls[0]["name"] == "get_weather"
    assert isinstance(message.tool_calls[0]["args"]["city"], str)


def test_embeddings_with_the_openai_client_and_langchain(openai_client, base_url: str) -> None:
    from langchain_openai import OpenAIEmbeddings

    reply = openai_client.embeddings.create(model="minilm", input=["the cat sat", "a dog ran"])  # base64 by default
    assert [d.index for d in reply.data] == [0, 1] and len(reply.data[0].embedding) == 384
    assert reply.usage.prompt_tokens > 0
    floats = openai_client.embeddings.create(model="minilm", input="the cat sat", encoding_format="float")
    assert floats.data[0].embedding == pytest.approx(reply.data[0].embedding, abs=1e-6)
    # LangChain tokenizes with tiktoken unless told not to, as for every non-OpenAI server
    embeddings = OpenAIEmbeddings(base_url=f"{base_url}/v1", api_key="unused", model="minilm",
                                  check_embedding_ctx_length=False)
    vectors = embeddings.embed_documents(["the cat sat", "a dog ran"])
    assert len(vectors) == 2 and vectors[0] == pytest.approx(reply.data[0].embedding, abs=1e-5)
    assert len(embeddings.embed_query("hello")) == 384
