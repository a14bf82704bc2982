"""Tool calls are always `tool_calls`: a stream joined as OpenAI clients join it equals the plain answer,
for every tool_choice and for calls cut by max_tokens; the grammar is tight (no undeclared property, no
repeated call).

Over the hand-written server of test_server_requests (fake vocabulary, random logits, the real per-row rules)."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from deployments.llm.guided import Constraint, ConstraintSpec, byte_matcher, closed_schema
from deployments.llm.tool_repeats import no_repeated_calls
from deployments.llm.tool_stream import call_id_for
from deployments.llm.tools import FunctionDef, calls_grammar
from tests.unit.llm.fake_vocab import INDEX, TOKENIZER, encode
from tests.unit.llm.test_server_requests import SCHEMA, TOOLS, USER, _server

CHOICES = ["auto", "required", "none", {"type": "function", "function": {"name": "get_weather"}},
           {"type": "function", "function": {"name": "noop"}}]


def _collect(gen) -> list[dict]:
    async def run() -> list[dict]:
        return [chunk async for chunk in gen]
    return asyncio.run(run())


def _joined(chunks: list[dict]) -> dict:
    """One choice's stream folded as the `openai` client and LangChain fold it: content concatenated, tool
    calls by index (id, type and name from the first delta, arguments concatenated), the finish_reason."""
    content, calls, finish = "", {}, None
    for chunk in chunks:
        for choice in chunk["choices"]:
            delta = choice["delta"]
            content += delta.get("content") or ""
            for part in delta.get("tool_calls", []):
                call = calls.setdefault(part["index"], {"function": {"arguments": ""}})
                if "id" in part:
                    assert "id" not in call, "a call announced twice"
                    call.update(id=part["id"], type=part["type"])
                    call["function"]["name"] = part["function"]["name"]
                call["function"]["arguments"] += part["function"].get("arguments", "")
            finish = choice["finish_reason"] or finish
    message = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = [{"id": c["id"], "type": c["type"], "function": c["function"]}
                                 for _, c in sorted(calls.items())]
    return {"message": message, "finish_reason": finish}


def _same_ids_but_the_base(*messages: dict) -> None:
    """Each answer names its calls after its own random request id (`call_id_for`): checked, then dropped."""
    for message in messages:
        calls = message.get("tool_calls", [])
        if calls:
            assert [c["id"] for c in calls] == [call_id_for(calls[0]["id"], i) for i in range(len(calls))]
        for call in calls:
            call["id"] = "id"


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: c if isinstance(c, str) else c["function"]["name"])
@pytest.mark.parametrize("parallel", [True, False])
def test_the_joined_stream_equals_the_plain_answer(choice, parallel: bool) -> None:
    """Cut calls included: max_tokens from mid-name to past the whole answer."""
    finishes = set()
    for seed in range(3):
        for max_tokens in (12, 30, 45, 400):
            request = {"messages": USER, "max_tokens": max_tokens, "seed": seed, "tools": TOOLS, "tool_choice": choice,
                       "parallel_tool_calls": parallel}
            plain = asyncio.run(_server().chat(request))["choices"][0]
            streamed = _joined(_collect(_server().chat_stream({**request, "stream": True})))
            message = {**plain["message"], "content": plain["message"]["content"] or None}
            _same_ids_but_the_base(message, streamed["message"])
            assert streamed == {"message": message, "finish_reason": plain["finish_reason"]}, (seed, max_tokens)
            if choice in ("required", "named") or isinstance(choice, dict):
                assert message["content"] is None  # a forced call is never text, even cut short
            finishes.add(plain["finish_reason"])
    assert "length" in finishes


def test_a_cut_call_comes_back_as_a_call_with_its_partial_arguments() -> None:
    request = {"messages": USER, "max_tokens": 45, "seed": 0, "tools": TOOLS,
               "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}
    choice = asyncio.run(_server().chat(request))["choices"][0]
    assert choice["finish_reason"] == "length" and choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather" and call["id"].startswith("call")
    arguments = call["function"]["arguments"]
    assert arguments.startswith("{")
    with pytest.raises(ValueError):
        json.loads(arguments)  # partial, as OpenAI returns it


# --- tight grammars ------------------------------------------------------------------------------

OPEN = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.mark.parametrize(("parameters", "arguments", "accepted"), [
    (OPEN, '{"city":"Oslo"}', True),
    (OPEN, '{"city":"Oslo","word":"rue"}', False),  # undeclared
    ({**OPEN, "additionalProperties": True}, '{"city":"Oslo","word":"rue"}', True),
    ({**OPEN, "additionalProperties": {"type": "integer"}}, '{"city":"Oslo","n":2}', True),
    ({**OPEN, "additionalProperties": {"type": "integer"}}, '{"city":"Oslo","n":"x"}', False),
    ({"type": "object", "properties": {"at": OPEN}}, '{"at":{"city":"a"}}', True),
    ({"type": "object", "properties": {"at": OPEN}}, '{"at":{"city":"a","x":1}}', False),  # nested too
    ({"type": "object", "properties": {"at": {"type": "array", "items": OPEN}}}, '{"at":[{"city":"a","x":1}]}', False),
    ({"type": "object"}, '{"x":1}', False),  # an object that declares nothing takes nothing
])
def test_tool_arguments_take_only_declared_properties(parameters: dict, arguments: str, accepted: bool) -> None:
    grammar = ConstraintSpec("grammar", calls_grammar([FunctionDef(name="f", parameters=parameters)], True, False))
    text = '{"name":"f","arguments":%s}' % arguments
    assert byte_matcher(grammar.validate()).accepts(text) is accepted


def test_a_response_schema_is_closed_when_generating_and_json_object_stays_open() -> None:
    strict = ConstraintSpec("json", OPEN)
    assert not byte_matcher(strict.validate()).accepts('{"city":"a","x":1}')
    assert strict.matches('{"city":"a","x":1}')  # another server's output is checked as the schema says
    assert byte_matcher(ConstraintSpec("json", True).validate()).accepts('{"x":1}')
    assert closed_schema({"$defs": {"P": OPEN}, "anyOf": [{"$ref": "#/$defs/P"}]})["$defs"]["P"]["additionalProperties"] is False
    assert OPEN.get("additionalProperties") is None  # the caller's schema is not changed


# --- no repeated call ------------------------------------------------------------------------------

NOOP = FunctionDef(name="noop")
WEATHER = FunctionDef(name="get_weather", parameters=SCHEMA)


def _fed(functions: list[FunctionDef], text: str) -> Constraint:
    constraint = Constraint(ConstraintSpec("grammar", calls_grammar(functions, True, False)), TOKENIZER, no_repeated_calls)
    for token in encode(text):
        assert constraint.advance(token), text
    return constraint


def _allowed(constraint: Constraint, text: str) -> bool:
    return bool(constraint.mask()[INDEX[text]])


def test_a_call_whose_only_arguments_were_used_is_not_started_again() -> None:
    once = '{"name":"noop","arguments":{}}'
    constraint = _fed([NOOP], once)
    assert not _allowed(constraint, "\n") and constraint.can_end()  # the answer ends instead
    constraint = _fed([NOOP, WEATHER], once + '\n{"name":"')
    assert not _allowed(constraint, "n") and _allowed(constraint, "g")


def test_the_same_arguments_are_not_offered_again_but_other_values_are() -> None:
    call = '{"name":"get_weather","arguments":{"city":"Oslo","n":2}}'
    constraint = _fed([WEATHER], call + "\n" + call[:-2])
    assert not _allowed(constraint, "}")
    assert _allowed(constraint, "1") and _allowed(constraint, "12")
    assert _allowed(_fed([WEATHER], call[:-2]), "}")  # the first call is free


def test_without_the_rule_the_grammar_alone_allows_the_repeat() -> None:
    once = '{"name":"noop","arguments":{}}'
    constraint = Constraint(ConstraintSpec("grammar", calls_grammar([NOOP], True, False)), TOKENIZER)
    for token in encode(once):
        constraint.advance(token)
    assert bool(constraint.mask()[INDEX["\n"]])


def test_parallel_answers_never_hold_the_same_call_twice() -> None:
    lengths = []
    for seed in range(12):
        choice = asyncio.run(_server().chat({"messages": USER, "max_tokens": 400, "seed": seed, "tools": TOOLS,
                                             "tool_choice": "required"}))["choices"][0]
        calls = [(c["function"]["name"], c["function"]["arguments"]) for c in choice["message"].get("tool_calls", [])]
        assert len(set(calls)) == len(calls), calls
        lengths.append(len(calls))
    assert max(lengths) >= 2  # several calls do happen
    assert np.mean(lengths) > 0
