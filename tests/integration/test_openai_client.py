"""The `openai` client's own surface against the session server: raw responses, the model list, embeddings
under the listed name, tool calls plain and streamed (cut ones included), and `parallel_tool_calls`."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

MAGIC = {"type": "function", "function": {
    "name": "magic_function", "description": "Applies a magic function to an input.",
    "parameters": {"type": "object", "properties": {"input": {"type": "integer"}}, "required": ["input"]}}}
JOKE = {"type": "function", "function": {
    "name": "Joke", "description": "Joke to tell user.",
    "parameters": {"type": "object", "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
                   "required": ["setup", "punchline"]}}}
ASK_MAGIC = [{"role": "user", "content": "What is the value of magic_function(3)? Use the tool."}]
ASK_JOKE = [{"role": "user", "content": "Tell me a joke about cats."}]


def _joined(stream) -> tuple[str | None, list[dict], str]:
    """Content, tool calls and finish_reason of a streamed answer, folded as the client's users fold it."""
    content, calls, finish = "", {}, None
    for chunk in stream:
        for choice in chunk.choices:
            content += choice.delta.content or ""
            for part in choice.delta.tool_calls or []:
                call = calls.setdefault(part.index, {"id": None, "name": None, "arguments": ""})
                call["id"] = call["id"] or part.id
                call["name"] = call["name"] or (part.function.name if part.function else None)
                call["arguments"] += (part.function.arguments or "") if part.function else ""
            finish = choice.finish_reason or finish
    return content or None, [calls[i] for i in sorted(calls)], finish


def _plain(message) -> tuple[str | None, list[dict]]:
    calls = [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in message.tool_calls or []]
    return message.content or None, calls


def test_with_raw_response_gives_the_http_reply_and_the_parsed_body(openai_client, model_name: str) -> None:
    raw = openai_client.chat.completions.with_raw_response.create(
        model=model_name, messages=[{"role": "user", "content": "Hi"}], max_tokens=3, temperature=0)
    assert raw.http_response.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    reply = raw.parse()
    assert reply.model == model_name and 1 <= reply.usage.completion_tokens <= 3
    assert json.loads(raw.http_response.text)["id"] == reply.id


def test_models_list_names_the_llm_and_the_embedder_usable_by_name(openai_client, model_name: str) -> None:
    cards = {card.id: card for card in openai_client.models.list()}
    assert getattr(cards[model_name], "task") == "generate"
    embedders = [card for card in cards.values() if getattr(card, "task", None) == "embed"]
    assert len(embedders) == 1
    reply = openai_client.embeddings.create(model=embedders[0].id, input=["the cat sat", "a dog ran"])
    assert reply.model == embedders[0].id and len(reply.data) == 2
    assert len(reply.data[0].embedding) == getattr(embedders[0], "dimension")


@pytest.mark.parametrize(("tools", "messages", "choice", "max_tokens"), [
    ([MAGIC], ASK_MAGIC, "required", 60),
    ([MAGIC, JOKE], ASK_JOKE, {"type": "function", "function": {"name": "Joke"}}, 12),  # cut by max_tokens
    ([MAGIC, JOKE], ASK_MAGIC, "auto", 60),
], ids=["required", "cut", "auto"])
def test_tool_calls_plain_and_streamed_are_the_same(openai_client, model_name: str, tools, messages, choice,
                                                    max_tokens: int) -> None:
    request = dict(model=model_name, messages=messages, tools=tools, tool_choice=choice, max_tokens=max_tokens,
                   temperature=0)
    plain = openai_client.chat.completions.create(**request).choices[0]
    content, calls, finish = _joined(openai_client.chat.completions.create(**request, stream=True))
    plain_content, plain_calls = _plain(plain.message)
    assert (content is None) == (plain_content is None) and bool(calls) == bool(plain_calls)  # never half of each
    if choice != "auto":  # (a long text answer may drift: a cached prefix can round its last digits differently)
        assert finish == plain.finish_reason and content == plain_content
        assert [(c["name"], c["arguments"]) for c in calls] == [(c["name"], c["arguments"]) for c in plain_calls]
        assert plain_calls and plain.message.content is None  # a forced call is a call, even cut short
    if max_tokens == 12:
        assert plain.finish_reason == "length" and plain_calls[-1]["name"] == "Joke"
        assert plain_calls[-1]["arguments"].startswith("{")  # its partial arguments, as OpenAI returns them
    elif plain.finish_reason == "tool_calls":
        for call in plain_calls:
            json.loads(call["arguments"])


def test_parallel_tool_calls_false_gives_one_call_and_true_never_repeats_one(openai_client, model_name: str) -> None:
    request = dict(model=model_name, messages=ASK_MAGIC, tools=[MAGIC], tool_choice="required", max_tokens=80,
                   temperature=0)
    single = openai_client.chat.completions.create(**request, parallel_tool_calls=False).choices[0]
    assert single.finish_reason == "tool_calls" and len(single.message.tool_calls) == 1
    several = openai_client.chat.completions.create(**request).choices[0]
    calls = [(c.function.name, c.function.arguments) for c in several.message.tool_calls]
    assert calls and len(set(calls)) == len(calls)


def test_undeclared_arguments_are_never_generated(openai_client, model_name: str) -> None:
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string", "maxLength": 24}}, "required": ["city"]}}}
    for seed in range(3):
        reply = openai_client.chat.completions.create(
            model=model_name, messages=[{"role": "user", "content": "Weather in Oslo?"}], tools=[weather],
            tool_choice="required", parallel_tool_calls=False, max_tokens=40, temperature=1.0, seed=seed)
        (call,) = reply.choices[0].message.tool_calls
        assert set(json.loads(call.function.arguments)) == {"city"}
