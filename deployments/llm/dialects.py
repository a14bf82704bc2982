"""Output constraints in each external backend's dialect, and the check that the backend obeyed.

Callers spell a constraint any way Medici accepts (``guided_choice``, ``structured_outputs``,
``response_format``). An external endpoint reads only its own spelling and silently ignores the
rest, so the request is rewritten for the configured dialect:

- ``vllm`` (0.12+): ``structured_outputs: {choice | regex | json | grammar}``;
- ``vllm-legacy``: ``guided_choice | guided_regex | guided_json | guided_grammar``;
- ``tgi``: ``grammar: {"type": "json" | "regex", "value": ...}`` (a choice becomes a regex);
- ``openai``: ``response_format: json_schema``; a choice or regex is wrapped as one string property
  of an object, and unwrapped from the answer.

A constraint the dialect cannot express is a 400 before anything is sent. And because an endpoint
may still ignore the field, every answer is checked against the constraint: an output that does not
match (or, cut by ``length``, cannot still become a match) is a 502 that says so. Fail closed: never
unconstrained output passed off as constrained.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from deployments import errors
from deployments.errors import ServiceError
from deployments.llm.constraints import ConstraintFields
from deployments.llm.guided import ConstraintSpec, byte_matcher

Dialect = Literal["vllm", "vllm-legacy", "tgi", "openai"]
_FIELDS = ("structured_outputs", "response_format", "guided_choice", "guided_regex", "guided_json", "guided_grammar")
_WRAP_KEY = "value"  # the property an openai-dialect choice or regex travels in
_REGEX_META = set("\\.^$|?*+()[]{}/-")


def _escape(text: str) -> str:
    """A literal for regex engines of every backend (Rust regex, Python re, outlines): escape only metacharacters."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def translate(request: dict[str, Any], dialect: Dialect) -> tuple[dict[str, Any], ConstraintSpec | None]:
    """The request body in ``dialect`` and the constraint it carries (None: free text)."""
    try:
        spec = ConstraintFields.model_validate(request).constraint_spec()
    except ValueError as exc:
        raise errors.bad_request(f"invalid output constraint: {exc}", param="structured_outputs") from None
    if spec is None:
        return request, None
    body = {k: v for k, v in request.items() if k not in _FIELDS}
    body.update(_fields(spec, dialect))
    return body, spec


def _fields(spec: ConstraintSpec, dialect: Dialect) -> dict[str, Any]:
    if dialect == "vllm":
        return {"structured_outputs": {spec.kind: spec.value if spec.value is not True else {"type": "object"}}}
    if dialect == "vllm-legacy":
        return {f"guided_{spec.kind}": spec.value if spec.value is not True else {"type": "object"}}
    if dialect == "tgi":
        if spec.kind == "json":
            return {"grammar": {"type": "json", "value": spec.value if spec.value is not True else {"type": "object"}}}
        if spec.kind == "regex":
            return {"grammar": {"type": "regex", "value": spec.value}}
        if spec.kind == "choice":
            return {"grammar": {"type": "regex", "value": "(" + "|".join(_escape(c) for c in spec.value) + ")"}}
        raise _cannot(spec, dialect)
    # openai: structured outputs are JSON only
    if spec.kind == "json":
        if spec.value is True:
            return {"response_format": {"type": "json_object"}}
        return {"response_format": {"type": "json_schema",
                                    "json_schema": {"name": "output", "schema": spec.value, "strict": True}}}
    if spec.kind in ("choice", "regex"):
        inner = {"enum": spec.value} if spec.kind == "choice" else {"pattern": spec.value}
        schema = {"type": "object", "properties": {_WRAP_KEY: {"type": "string", **inner}},
                  "required": [_WRAP_KEY], "additionalProperties": False}
        return {"response_format": {"type": "json_schema",
                                    "json_schema": {"name": "output", "schema": schema, "strict": True}}}
    raise _cannot(spec, dialect)


def _cannot(spec: ConstraintSpec, dialect: str) -> ServiceError:
    return errors.bad_request(f"the LLM endpoint's dialect '{dialect}' cannot apply a {spec.kind} constraint",
                              param="structured_outputs", code="constraint_unsupported")


def check(response: dict[str, Any], spec: ConstraintSpec, dialect: Dialect, endpoint: str) -> dict[str, Any]:
    """``response`` with each choice's text checked against ``spec`` (unwrapped for the openai dialect)."""
    for choice in response.get("choices") or []:
        holder, key = (choice, "text") if "text" in choice else (choice.get("message") or {}, "content")
        text = holder.get(key) or ""
        if dialect == "openai" and spec.kind in ("choice", "regex"):
            text = _unwrap(text)
            holder[key] = text
        complete = choice.get("finish_reason") != "length"
        if text is None or not _obeys(spec, text, complete):
            raise ServiceError(
                502,
                f"the LLM endpoint {endpoint} returned output that does not satisfy the {spec.kind} constraint "
                f"(dialect '{dialect}': the endpoint may not support it); refusing unconstrained output",
                "upstream_error",
                "constraint_not_applied",
            )
    return response


def _unwrap(text: str) -> str | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    inner = value.get(_WRAP_KEY) if isinstance(value, dict) else None
    return inner if isinstance(inner, str) else None


def _obeys(spec: ConstraintSpec, text: str, complete: bool) -> bool:
    if complete:
        return spec.matches(text)
    # cut by max_tokens: it must at least be on the way to a match
    spec.validate()
    return byte_matcher(spec.grammar(any_whitespace=True)).viable(text)
