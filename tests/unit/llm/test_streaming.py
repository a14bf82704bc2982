"""Streams: logprobs on the chunks that deliver their tokens, tool calls announced then sent in argument
fragments, several calls per answer, and a constraint cut by max_tokens ending with `length`.

Over the hand-written server of test_server_requests (fake vocabulary, random logits, the real per-row rules)."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest
from pydantic import ValidationError

from deployments.llm.guided import ConstraintSpec, byte_matcher
from deployments.llm.protocol import ChatCompletionRequest
from deployments.llm.tool_stream import ToolCallStream, parse_calls, scan_calls
from deployments.llm.tools import FunctionDef, calls_grammar
from tests.unit.llm.test_server_requests import SCHEMA, TOOLS, USER, _server

TWO_CALLS = '{"name":"get_weather","arguments":{"city":"a}\\"b","n":2}}\n{"name":"noop","arguments":{}}'


def _collect(gen) -> list[dict]:
    async def run() -> list[dict]:
        return [chunk async for chunk in gen]
    return asyncio.run(run())


def _assemble(chunks: list[dict], index: int = 0) -> dict[int, dict]:
    """Tool-call deltas folded the way OpenAI clients fold them: by index, arguments concatenated."""
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            if choice["index"] != index:
                continue
            for delta in choice["delta"].get("tool_calls", []):
                call = calls.setdefault(delta["index"], {"id": None, "name": None, "arguments": ""})
                if "id" in delta:
                    assert call["id"] is None, "id sent twice"
                    call["id"], call["name"] = delta["id"], delta["function"]["name"]
                    assert delta["type"] == "function"
                call["arguments"] += delta["function"].get("arguments", "")
    return calls


# --- the scanner ---------------------------------------------------------------------------------

def test_every_prefix_of_two_calls_scans_consistently() -> None:
    final = scan_calls(TWO_CALLS)
    assert [(c.name, c.complete) for c in final] == [("get_weather", True), ("noop", True)]
    assert json.loads(final[0].arguments) == {"city": 'a}"b', "n": 2}
    for end in range(len(TWO_CALLS)):
        calls = scan_calls(TWO_CALLS[:end])
        assert calls is not None, TWO_CALLS[:end]
        for partial, whole in zip(calls, final):
            assert partial.name in (None, whole.name)
            assert whole.arguments.startswith(partial.arguments)


def test_text_that_is_not_call_shaped_is_not_a_call() -> None:
    assert scan_calls('{"foo":1}') is None
    assert parse_calls('{"name":"other","arguments":{}}', {"noop"}, "call_x") is None
    assert parse_calls('{"name":"noop","arguments":{', {"noop"}, "call_x") is None  # cut short
    calls = parse_calls(TWO_CALLS, {"get_weather", "noop"}, "call_x")
    assert [c["id"] for c in calls] == ["call_x", "call_x_1"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "noop"]


def test_fed_one_character_at_a_time_a_call_is_announced_once_then_sent_in_fragments() -> None:
    stream = ToolCallStream("call_x")
    deltas = [d for ch in TWO_CALLS for d in stream.feed(ch)]
    assert all("content" not in d for d in deltas)
    headers = [d["tool_calls"][0] for d in deltas if "id" in d["tool_calls"][0]]
    assert [(h["index"], h["id"], h["function"]["name"]) for h in headers] == [
        (0, "call_x", "get_weather"), (1, "call_x_1", "noop")]
    fragments = [d["tool_calls"][0] for d in deltas if "id" not in d["tool_calls"][0]]
    assert len(fragments) > 5  # sent as decoded, not at the end
    args = {i: "".join(f["function"]["arguments"] for f in fragments if f["index"] == i) for i in (0, 1)}
    assert json.loads(args[0]) == {"city": 'a}"b', "n": 2} and args[1] == "{}"


def test_a_text_answer_streams_as_content() -> None:
    stream = ToolCallStream("call_x")
    assert stream.feed("Hel") == [{"content": "Hel"}] and stream.feed("lo {") == [{"content": "lo {"}]


# --- the grammar -----------------------------------------------------------------------------------

FUNCTIONS = [FunctionDef(**t["function"]) for t in TOOLS]


@pytest.mark.parametrize(("parallel", "auto", "text", "accepted"), [
    (True, False, TWO_CALLS, True),
    (False, False, TWO_CALLS, False),
    (False, False, TWO_CALLS.split("\n")[0], True),
    (True, False, "Sunny today", False),
    (True, True, "Sunny today", True),
    (True, True, " {not a call", False),  # a text answer never starts like a call, or with a space
    (True, True, '{"name": "noop", "arguments": {}}', False),  # calls are compact
    (True, True, '{"name":"undeclared","arguments":{}}', False),
])
def test_the_tools_grammar(parallel: bool, auto: bool, text: str, accepted: bool) -> None:
    grammar = ConstraintSpec("grammar", calls_grammar(FUNCTIONS, parallel, auto)).validate()
    assert byte_matcher(grammar).accepts(text) is accepted


def test_tools_with_an_output_constraint_are_refused() -> None:
    with pytest.raises(ValidationError, match="output constraint"):
        ChatCompletionRequest.model_validate({"messages": USER, "tools": TOOLS,
                                              "response_format": {"type": "json_object"}})
    ChatCompletionRequest.model_validate({"messages": USER, "tools": TOOLS, "tool_choice": "none",
                                          "response_format": {"type": "json_object"}})


# --- the server's streams --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_streamed_tool_calls_assemble_to_the_plain_answer(seed: int) -> None:
    request = {"messages": USER, "max_tokens": 400, "seed": seed, "tools": TOOLS, "tool_choice": "required"}
    plain = asyncio.run(_server().chat(request))["choices"][0]
    chunks = _collect(_server().chat_stream({**request, "stream": True}))
    last = [c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(last) == 1 and last[0]["finish_reason"] == plain["finish_reason"]
    if plain["finish_reason"] != "tool_calls":
        assert plain["finish_reason"] == "length"
        return
    calls = _assemble(chunks)
    expected = plain["message"]["tool_calls"]
    assert [calls[i]["name"] for i in sorted(calls)] == [c["function"]["name"] for c in expected]
    assert [calls[i]["arguments"] for i in sorted(calls)] == [c["function"]["arguments"] for c in expected]
    for call in calls.values():
        arguments = json.loads(call["arguments"])
        if call["name"] == "get_weather":
            jsonschema.validate(arguments, SCHEMA)


def test_parallel_tool_calls_false_gives_exactly_one_call() -> None:
    for seed in range(4):
        reply = asyncio.run(_server().chat({"messages": USER, "max_tokens": 400, "seed": seed, "tools": TOOLS,
                                            "tool_choice": "required", "parallel_tool_calls": False}))
        choice = reply["choices"][0]
        assert choice["finish_reason"] in ("tool_calls", "length")
        if choice["finish_reason"] == "tool_calls":
            assert len(choice["message"]["tool_calls"]) == 1


def test_auto_tools_answer_in_text_or_calls_never_half_of_each() -> None:
    for seed in range(6):
        reply = asyncio.run(_server().chat({"messages": USER, "max_tokens": 40, "seed": seed, "tools": TOOLS}))
        choice = reply["choices"][0]
        if choice["finish_reason"] == "tool_calls":
            assert choice["message"]["content"] is None and choice["message"]["tool_calls"]
        else:
            assert not choice["message"]["content"].startswith("{")


def test_chat_stream_logprobs_match_the_plain_answer() -> None:
    request = {"messages": USER, "max_tokens": 6, "temperature": 0, "logprobs": True, "top_logprobs": 2}
    plain = asyncio.run(_server().chat(request))["choices"][0]["logprobs"]["content"]
    chunks = _collect(_server().chat_stream({**request, "stream": True}))
    streamed = [entry for c in chunks for choice in c["choices"] if choice["logprobs"]
                for entry in choice["logprobs"]["content"]]
    assert streamed == plain
    for chunk in chunks:
        choice = chunk["choices"][0]
        if choice["logprobs"] and choice["delta"].get("content"):  # a chunk's logprobs are its own tokens'
            assert "".join(e["token"] for e in choice["logprobs"]["content"]) == choice["delta"]["content"]


def test_completion_stream_logprobs_with_offsets_into_the_whole_text() -> None:
    request = {"prompt": "a", "max_tokens": 6, "temperature": 0, "logprobs": 2}
    plain = asyncio.run(_server().completions(request))["choices"][0]["logprobs"]
    chunks = _collect(_server().completions_stream({**request, "stream": True}))
    lps = [c["choices"][0]["logprobs"] for c in chunks if c["choices"][0]["logprobs"]]
    assert len(lps) >= 2
    for key in ("tokens", "token_logprobs", "top_logprobs", "text_offset"):
        assert [v for lp in lps for v in lp[key]] == plain[key]


def test_a_constraint_cut_by_max_tokens_ends_with_length_in_a_stream() -> None:
    request = {"prompt": "a", "max_tokens": 3, "structured_outputs": {"choice": ["a long answer"]}, "stream": True}
    chunks = _collect(_server().completions_stream(request))
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert "".join(c["choices"][0]["text"] for c in chunks) == "a l"


def test_streamed_n_choices_each_carry_their_logprobs_and_the_usage_chunk_alone_counts() -> None:
    chunks = _collect(_server().chat_stream({"messages": USER, "n": 2, "max_tokens": 4, "seed": 1, "logprobs": True,
                                             "stream": True, "stream_options": {"include_usage": True}}))
    per_choice = {0: 0, 1: 0}
    for chunk in chunks[:-1]:
        assert "usage" not in chunk  # counted once, in the last chunk
        choice = chunk["choices"][0]
        per_choice[choice["index"]] += len((choice["logprobs"] or {}).get("content", []))
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == [] and sum(per_choice.values()) == usage["completion_tokens"]
    assert all(per_choice.values())
