"""Constrained decoding through llguidance, over a small hand-written vocabulary and random logits:
whatever the model prefers, a finished output matches its constraint."""

from __future__ import annotations

import json
import random
import re

import jsonschema
import pytest
import torch

from deployments.llm.guided import ConstraintError, ConstraintSpec
from deployments.llm.jobs import GenerationJob
from deployments.llm.rows import Row, advance_rows, pick_tokens
from tests.unit.llm.fake_vocab import EOS, INDEX, VOCAB, constraint, decode, encode


def _run(job: GenerationJob, seed: int) -> GenerationJob:
    """Decode ``job`` alone against random logits (the 'model'), by the per-row rules."""
    rows = [Row(job, encode, torch.device("cpu"))]
    gen = torch.Generator().manual_seed(seed)
    while not rows[0].done:
        scores = torch.randn(1, len(VOCAB), generator=gen) * 4
        advance_rows(rows, pick_tokens(rows, scores, [EOS]), {EOS}, decode)
    return job


def _random_schema(rng: random.Random, depth: int = 0) -> dict:
    kinds = ["integer", "string", "boolean", "enum", "number"] + (["object", "array"] if depth < 2 else [])
    kind = rng.choice(kinds)
    if kind == "integer":
        return {"type": "integer", "minimum": rng.randint(-50, 0), "maximum": rng.randint(1, 500)}
    if kind == "number":
        return {"type": "number"}
    if kind == "string":
        return {"type": "string", "maxLength": rng.randint(1, 8), **({"pattern": "^[a-z]+$"} if rng.random() < 0.3 else {})}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "enum":
        return {"enum": rng.sample(["red", "green", "blue", 1, 2, None, True], rng.randint(1, 4))}
    if kind == "array":
        return {"type": "array", "items": _random_schema(rng, depth + 1), "maxItems": rng.randint(1, 3)}
    names = rng.sample(["a", "b", "name", "count", "ok", "items"], rng.randint(1, 3))
    properties = {name: _random_schema(rng, depth + 1) for name in names}
    return {"type": "object", "properties": properties, "required": names[: rng.randint(0, len(names))],
            "additionalProperties": False}


@pytest.mark.parametrize("seed", range(40))
def test_fuzzed_json_schemas_always_validate(seed: int) -> None:
    rng = random.Random(seed)
    schema = _random_schema(rng)
    job = _run(GenerationJob([1], 200, temperature=1.0, seed=seed, constraint=constraint("json", schema)), seed)
    assert job.finish_reason in ("stop", "length")
    if job.finish_reason == "stop":
        jsonschema.validate(json.loads(job.text), schema)
    else:  # cut off by max_tokens: reported as such, never as a match
        assert job.completion_tokens == 200


@pytest.mark.parametrize("pattern", [r"[0-9]{3}-[a-z]{2,4}", r"(yes|no|maybe)", r"ab(c|d)*e", r"-?[1-9][0-9]{0,3}"])
@pytest.mark.parametrize("seed", range(5))
def test_regex_outputs_fullmatch(pattern: str, seed: int) -> None:
    job = _run(GenerationJob([1], 60, temperature=1.0, seed=seed, constraint=constraint("regex", pattern)), seed)
    if job.finish_reason == "stop":
        assert re.fullmatch(pattern, job.text), job.text
    else:
        assert job.finish_reason == "length"


def test_a_constraint_cut_by_max_tokens_ends_with_length_not_a_match() -> None:
    job = _run(GenerationJob([1], 2, temperature=0.0, constraint=constraint("choice", ["abcdef"])), 0)
    assert job.finish_reason == "length" and job.text == "ab"[: len(job.text)] and job.text != "abcdef"


def test_any_tokenization_of_a_choice_is_accepted() -> None:
    for tokens in ([INDEX["yes"]], [ord("y"), ord("e"), ord("s")], [ord("y"), ord("e"), ord("s")]):
        c = constraint("choice", ["yes", "no"])
        assert all(c.advance(t) for t in tokens) and c.must_end() and c.text == "yes"


def test_eos_is_allowed_only_on_a_complete_match() -> None:
    c = constraint("regex", r"[0-9]+")
    assert EOS not in c.allowed() and not c.can_end()
    c.advance(ord("7"))
    assert c.can_end() and not c.must_end()


def test_grammar_constraint() -> None:
    grammar = 'start: expr\nexpr: NUM | expr "+" NUM\nNUM: /[0-9]+/'
    for seed in range(5):
        job = _run(GenerationJob([1], 40, temperature=1.0, seed=seed, constraint=constraint("grammar", grammar)), seed)
        if job.finish_reason == "stop":
            assert re.fullmatch(r"[0-9]+(\+[0-9]+)*", job.text)


def test_invalid_constraints_raise_a_constraint_error() -> None:
    for kind, value in [("regex", "("), ("json", {"type": "strin"}), ("grammar", "start: missing_rule")]:
        with pytest.raises(ConstraintError):
            ConstraintSpec(kind, value).validate()


def test_penalties_lower_repeated_tokens() -> None:
    scores = torch.zeros(1, len(VOCAB))
    scores[0, ord("a")] = 1.0
    scores[0, ord("b")] = 0.5
    job = GenerationJob([1], 5, temperature=0.0, presence_penalty=1.0)
    rows = [Row(job, encode, torch.device("cpu"))]
    assert pick_tokens(rows, scores, [EOS]) == [ord("a")]
    advance_rows(rows, [ord("a")], {EOS}, decode)
    assert pick_tokens(rows, scores, [EOS]) == [ord("b")]  # "a" was used: 1.0 - 1.0 < 0.5


def test_logprobs_are_captured_for_each_generated_token() -> None:
    job = GenerationJob([1], 3, temperature=0.0, logprobs=2)
    _run(job, 0)
    assert len(job.token_logprobs) == job.completion_tokens
    for entry in job.token_logprobs:
        assert entry.logprob <= 0 and len(entry.top) == 2 and entry.top[0][1] >= entry.top[1][1]


def test_external_text_check() -> None:
    assert ConstraintSpec("json", {"type": "object", "required": ["a"]}).matches('{ "a" : 1 }')
    assert not ConstraintSpec("json", {"type": "object", "required": ["a"]}).matches('{"b": 1}')
    assert ConstraintSpec("regex", r"[0-9]+").matches("123") and not ConstraintSpec("regex", r"[0-9]+").matches("12a")
    assert ConstraintSpec("choice", ["yes", "no"]).matches("no") and not ConstraintSpec("choice", ["yes"]).matches("ye")
