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


# --- streams: logprobs, tool calls, constraints cut by max_tokens -----------------------------------

def test_streamed_chunks_carry_the_logprobs_of_their_tokens(openai_client, model_name: str) -> None:
    plain = openai_client.chat.completions.create(model=model_name, messages=ASK_PERSON, max_tokens=6,
                                                  temperature=0, logprobs=True, top_logprobs=2)
    chunks = list(openai_client.chat.completions.create(model=model_name, messages=ASK_PERSON, max_tokens=6,
                                                        temperature=0, logprobs=True, top_logprobs=2, stream=True))
    streamed = [t for c in chunks for ch in c.choices if ch.logprobs and ch.logprobs.content
                for t in ch.logprobs.content]
    assert [t.token for t in streamed] == [t.token for t in plain.choices[0].logprobs.content]
    assert [t.logprob for t in streamed] == pytest.approx([t.logprob for t in plain.choices[0].logprobs.content])
    assert all(len(t.top_logprobs) == 2 for t in streamed)
    assert sum(1 for c in chunks if c.choices and c.choices[0].logprobs) >= 2  # spread over the chunks
    completion = list(openai_client.completions.create(model=model_name, prompt="1, 2, 3,", max_tokens=5,
                                                       temperature=0, logprobs=2, stream=True))
    lps = [c.choices[0].logprobs for c in completion if c.choices and c.choices[0].logprobs]
    tokens = [t for lp in lps for t in lp.tokens]
    assert len(tokens) == 5 and "".join(tokens) == "".join(c.choices[0].text for c in completion if c.choices)
    offsets = [o for lp in lps for o in lp.text_offset]
    assert offsets == [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]


def _assemble_calls(chunks) -> dict[int, dict]:
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
                if delta.id:
                    assert call["id"] is None and delta.type == "function"
                    call["id"], call["name"] = delta.id, delta.function.name
                call["arguments"] += delta.function.arguments or ""
    return calls


def test_streamed_tool_calls_with_the_openai_client(openai_client, model_name: str) -> None:
    messages = [{"role": "user", "content": "What is the weather in Paris and in Rome?"}]
    chunks = list(openai_client.chat.completions.create(model=model_name, messages=messages, max_tokens=80,
                                                        temperature=0, tools=[TOOL], tool_choice="required",
                                                        stream=True))
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["tool_calls"]
    calls = _assemble_calls(chunks)
    assert calls and sorted(calls) == list(range(len(calls)))
    fragments = sum(1 for c in chunks if c.choices and c.choices[0].delta.tool_calls
                    and not c.choices[0].delta.tool_calls[0].id)
    assert fragments >= 2  # the arguments come as they are decoded, not in one piece at the end
    for call in calls.values():
        assert call["name"] == "get_weather" and call["id"].startswith("call_")
        jsonschema.validate(json.loads(call["arguments"]), TOOL["function"]["parameters"])
    single = openai_client.chat.completions.create(model=model_name, messages=messages, max_tokens=80, temperature=0,
                                                   tools=[TOOL], tool_choice="required", parallel_tool_calls=False)
    assert single.choices[0].finish_reason == "tool_calls" and len(single.choices[0].message.tool_calls) == 1


def test_langchain_bind_tools_stream_assembles_tool_call_chunks(base_url: str, model_name: str) -> None:
    llm = _chat_openai(base_url, model_name).bind_tools([TOOL], tool_choice="get_weather")
    chunks = list(llm.stream("What is the weather in Rome?"))
    assert sum(1 for c in chunks if c.tool_call_chunks) >= 2
    message = chunks[0]
    for chunk in chunks[1:]:
        message = message + chunk
    assert message.tool_calls and message.tool_calls[0]["name"] == "get_weather"
    jsonschema.validate(message.tool_calls[0]["args"], TOOL["function"]["parameters"])
    assert message.response_metadata.get("finish_reason") == "tool_calls"


def test_a_constraint_cut_by_max_tokens_ends_with_length_in_a_stream(http: httpx.Client) -> None:
    body = {"prompt": "x", "max_tokens": 2, "stream": True,
            "structured_outputs": {"choice": ["a very long answer that needs many tokens"]}}
    with http.stream("POST", "/v1/completions", json=body) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["choices"][0]["finish_reason"] == "length"


def test_n_streams_with_a_constraint_each_match(http: httpx.Client) -> None:
    body = {"prompt": "Colour:", "max_tokens": 8, "n": 3, "temperature": 1.0, "seed": 2, "stream": True,
            "structured_outputs": {"regex": "(red|green|blue)"}}
    with http.stream("POST", "/v1/completions", json=body) as response:
        chunks = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ") and line != "data: [DONE]"]
    texts = {i: "".join(c["choices"][0]["text"] for c in chunks if c["choices"][0]["index"] == i) for i in range(3)}
    assert all(re.fullmatch("(red|green|blue)", t) for t in texts.values()), texts


# --- schemathesis over the new fields ---------------------------------------------------------------

SAMPLING_FIELDS = ("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty", "stop", "user")


def test_schemathesis_over_the_structured_output_fields(base_url: str) -> None:
    """Generated requests for the chat route, each given one generated constraint or tools field: a 2xx
    whose output is complete matches it, anything else is a clean 4xx, never a 500."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    words = st.text(alphabet="abcxyz ", min_size=1, max_size=6)
    leaf = st.sampled_from([{"type": "integer"}, {"type": "boolean"}, {"type": "string", "maxLength": 4},
                            {"enum": ["a", "b", 1]}])
    schemas = st.dictionaries(st.sampled_from(["a", "b", "c"]), leaf, min_size=1, max_size=3).map(
        lambda props: {"type": "object", "properties": props, "required": sorted(props), "additionalProperties": False})
    fields = st.one_of(
        st.builds(lambda c: {"structured_outputs": {"choice": c}}, st.lists(words, min_size=1, max_size=4)),
        st.builds(lambda r: {"structured_outputs": {"regex": r}},
                  st.sampled_from(["[0-9]{2}", "(yes|no)", "[a-z]+!", "(", "a{2,1}"])),
        st.builds(lambda s: {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": s}}},
                  schemas),
        st.builds(lambda s: {"guided_json": s}, schemas),
        st.builds(lambda s, p: {"tools": [{"type": "function", "function": {"name": "f", "parameters": s}}],
                                "tool_choice": "required", "parallel_tool_calls": p}, schemas, st.booleans()),
    )
    operation = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)["/v1/chat/completions"]["POST"]

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), extra=fields)
    @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case, extra) -> None:
        # the generated sampling fields stay; the rest is replaced, so each case reaches the decoder
        generated = case.body if isinstance(case.body, dict) else {}
        body = {k: v for k, v in generated.items() if k in SAMPLING_FIELDS}
        body.update(extra, max_tokens=24, messages=[{"role": "user", "content": "Answer."}])
        case.body = body
        response = case.call(timeout=120)
        assert response.status_code in (200, 400), response.text[:300]
        if response.status_code != 200:
            assert set(response.json()["error"]) >= {"message", "type", "param", "code"}
            return
        choice = response.json()["choices"][0]
        if choice["finish_reason"] == "length":
            return
        if "tools" in extra:
            assert choice["finish_reason"] == "tool_calls"
            if not extra["parallel_tool_calls"]:
                assert len(choice["message"]["tool_calls"]) == 1
            schema = extra["tools"][0]["function"]["parameters"]
            for call in choice["message"]["tool_calls"]:
                jsonschema.validate(json.loads(call["function"]["arguments"]), schema)
        elif "structured_outputs" in extra and "choice" in extra["structured_outputs"]:
            assert choice["message"]["content"] in extra["structured_outputs"]["choice"]
        elif "structured_outputs" in extra:
            assert re.fullmatch(extra["structured_outputs"]["regex"], choice["message"]["content"])
        else:
            schema = extra.get("guided_json") or extra["response_format"]["json_schema"]["schema"]
            jsonschema.validate(json.loads(choice["message"]["content"]), schema)

    run()


def test_auto_tools_answer_with_calls_or_text_never_a_broken_call(openai_client, model_name: str) -> None:
    for content in ("What is the weather in Paris?", "Say hello."):
        chunks = list(openai_client.chat.completions.create(
            model=model_name, messages=[{"role": "user", "content": content}], max_tokens=60, temperature=0,
            tools=[TOOL], tool_choice="auto", stream=True))
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        calls = _assemble_calls(chunks)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        if finish == ["tool_calls"]:
            assert calls and not text
            for call in calls.values():
                jsonschema.validate(json.loads(call["arguments"]), TOOL["function"]["parameters"])
        else:
            assert finish in (["stop"], ["length"]) and not calls and text and not text.startswith("{")
