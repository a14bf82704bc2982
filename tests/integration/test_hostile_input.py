"""Hostile and malformed input over real HTTP against the session's Serve app: each gets a clean 4xx
or an answer, never a 500, and the ingress keeps serving. Schemathesis generates requests from the
ingress's own OpenAPI schema (positive and negative, bounded examples) and checks every answer
against that schema.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}


# Generated requests stay cheap on 2 cores: numbers that buy work are capped, long lists cut.
# A bad value (0, -1, "x") stays bad, so negative cases remain negative.
_CAPS = {"max_tokens": 4, "max_completion_tokens": 4, "max_steps": 2, "k": 5}
_MAX_LIST = 8
EXAMPLES_PER_OPERATION = 20
# A valid request to these runs the agent loop or labels up to thousands of long documents with the
# LLM (seconds to minutes each on 2 cores): generated positive cases overran the suite's time, so
# these routes are fuzzed with negative cases only; their valid requests are covered by
# tests/integration/test_agent.py, test_topics.py and test_experiments.py.
COSTLY_PREFIXES = ("/v1/agent", "/v1/topics", "/v1/experiments")
COSTLY_POSITIVE_EXAMPLES = 0
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(base_url: str):
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)


def _cheap(body):
    if isinstance(body, dict):
        for key, cap in _CAPS.items():
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > cap:
                body[key] = cap
        # absent or null max_tokens means the rest of the context window (as in vLLM): minutes on 2 cores
        if ("prompt" in body or "messages" in body) and body.get("max_tokens") is None:
            body["max_tokens"] = _CAPS["max_tokens"]
        for key, value in body.items():
            if isinstance(value, list) and len(value) > _MAX_LIST:
                body[key] = value[:_MAX_LIST]
    return body


def _examples(operation, mode: GenerationMode) -> int:
    costly = mode == GenerationMode.POSITIVE and operation.path.startswith(COSTLY_PREFIXES)
    return COSTLY_POSITIVE_EXAMPLES if costly else EXAMPLES_PER_OPERATION


def _fuzz(operation, mode: GenerationMode) -> None:
    # schemathesis' pytest loader (from_fixture) does not run under pytest 9, so each operation's
    # strategy is driven by hypothesis directly: same generation, same checks.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=_examples(operation, mode), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.body = _cheap(case.body)
        case.call_and_validate(timeout=120, checks=CHECKS)

    run()


def test_every_operation_holds_its_schema_under_generated_input(api_schema) -> None:
    """Positive and negative cases for every operation the ingress declares: no 500, no schema violation."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    names = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {"GET /healthz", "GET /v1/models", "POST /v1/completions", "POST /v1/chat/completions",
            "POST /v1/embeddings"} <= names
    failures = {}
    for operation in operations:
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if operation.method.upper() == "POST" else [])
        modes = [mode for mode in modes if _examples(operation, mode) > 0]
        for mode in modes:
            try:
                _fuzz(operation, mode)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather every operation's failures
                failures[f"{operation.method.upper()} {operation.path} ({mode.value})"] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{name}: {text}" for name, text in failures.items())


def _error(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert {"message", "type", "code"} <= set(error) and error["type"] != "internal_error"
    return error


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/completions", b'{"prompt": "\xff\xfe\xfd"}'),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\xc3\x28"}]}'),
    ("/v1/completions", b'{"prompt": "unterminated'),
    ("/v1/completions", b"[" * 10_000 + b"]" * 10_000),
    ("/v1/chat/completions", b'{"messages": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
])
def test_invalid_utf8_invalid_json_and_deep_nesting_are_400(http: httpx.Client, path: str, body: bytes) -> None:
    assert _error(http.post(path, content=body, headers=JSON), 400)["code"] == "invalid_json"


@pytest.mark.parametrize(("body", "param"), [
    ({"prompt": "x", "max_tokens": 10**12}, "max_tokens"),
    ({"prompt": "x", "max_tokens": 100_000}, "max_tokens"),  # within the schema: the replica checks the context
    ({"prompt": "x", "top_p": 0}, "top_p"),
    ({"prompt": "x", "seed": 2**70}, "seed"),
    ({"prompt": "x", "temperature": 1e308}, "temperature"),
])
def test_extreme_numbers_are_400_naming_the_field(http: httpx.Client, body: dict, param: str) -> None:
    assert _error(http.post("/v1/completions", json=body), 400, 422)["param"] == param


def test_a_lone_surrogate_is_400_not_a_tokenizer_crash(http: httpx.Client) -> None:
    body = b'{"messages": [{"role": "user", "content": "x \\udc80 y"}], "max_tokens": 2}'
    assert "Unicode" in _error(http.post("/v1/chat/completions", content=body, headers=JSON), 400)["message"]


def test_nul_and_astral_characters_are_answered(http: httpx.Client) -> None:
    response = http.post("/v1/completions", json={"prompt": "a\u0000b \U0001f3a8 c", "max_tokens": 2})
    assert response.status_code == 200 and response.json()["usage"]["completion_tokens"] >= 1


def test_a_very_long_prompt_under_the_body_limit_is_400_with_the_lengths(http: httpx.Client) -> None:
    response = http.post("/v1/completions", json={"prompt": "painting " * 100_000, "max_tokens": 2})  # ~900 KB
    assert _error(response, 400)["code"] == "context_length_exceeded"


def test_a_chunked_body_over_the_limit_is_413(http: httpx.Client) -> None:
    chunks = (b"x" * 65_536 for _ in range(32))  # 2 MiB, no Content-Length
    assert _error(http.post("/v1/completions", content=chunks, headers=JSON), 413)["code"] == "request_too_large"


def test_the_ingress_still_answers_after_all_of_it(http: httpx.Client) -> None:
    assert http.get("/healthz").status_code == 200
    reply = http.post("/v1/completions", json={"prompt": "1, 2, 3,", "max_tokens": 2, "temperature": 0})
    assert reply.status_code == 200


# Path-traversal and SSRF strings for every URI field a caller can name (`corpus_uri`, `output_uri`); {port} is a
# loopback listener that counts connections. The session app allows reading `data/` and the temp directory,
# writing only the temp directory (tests/integration/conftest.py): none of these lies there.
HOSTILE_URIS = [
    "/etc/passwd", "file:///etc/passwd", "file:///", "file://localhost/etc/shadow", "/proc/self/environ",
    "../../../../etc/passwd", "data/../../../../etc/passwd", "data/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "data/..%2f..%2f..%2fetc/passwd", "~/.ssh/id_rsa", "data/lang/../../../etc/hostname", "C:\\Windows\\win.ini",
    "\\\\server\\share\\corpus.jsonl", "data/\x00/../../etc/passwd", "data/lang/en.yaml/../../../../etc/passwd",
    "http://127.0.0.1:{port}/", "http://localhost:{port}/x", "http://[::1]:{port}/", "http://0.0.0.0:{port}/",
    "http://2130706433:{port}/", "http://0x7f000001:{port}/", "http://127.1:{port}/", "https://127.0.0.1:{port}/",
    "http://169.254.169.254/latest/meta-data/iam/", "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/", "http://100.100.100.200/latest/meta-data/", "http://user@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}#@example.com/", "s3://key:secret@127.0.0.1:{port}@bucket/key",
    "gs://bucket/../../etc/passwd", "gopher://127.0.0.1:{port}/_", "ftp://127.0.0.1:{port}/x", "dict://127.0.0.1:{port}/",
]
WRITE_TARGETS = ["data/lang/en.yaml", "data/company_docs.jsonl", "/etc/cron.d/medici", "file:///root/.profile"]


def test_traversal_and_ssrf_strings_in_every_uri_field_are_refused_without_access(api_schema, http) -> None:
    """Schemathesis' valid job requests with a hostile string put in `corpus_uri` or `output_uri`: each a 400 in
    the error shape (the allow-list, or validation first), none a 500, no job created, no connection made."""
    import os
    import socket
    import threading
    from pathlib import Path

    from hypothesis import strategies as st

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port, accepted = listener.getsockname()[1], []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0].close())
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    shipped = {name: os.stat(name).st_mtime_ns for name in WRITE_TARGETS[:2]}
    jobs_before = len(http.get("/v1/topics/jobs").json()["jobs"])
    operation = api_schema["/v1/topics/jobs"]["POST"]
    uris = [uri.format(port=port) for uri in HOSTILE_URIS]

    named = st.one_of(st.tuples(st.just("corpus_uri"), st.sampled_from(uris)),  # data/ may be read, not written
                      st.tuples(st.just("output_uri"), st.sampled_from(uris + WRITE_TARGETS)))

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), named=named)
    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case, named: tuple[str, str]) -> None:
        field, uri = named
        body = dict(case.body) if isinstance(case.body, dict) else {}
        body[field] = uri
        if field == "corpus_uri":
            body.pop("documents", None)
        else:
            body.pop("corpus_uri", None)
            body["documents"] = (body.get("documents") or [{"id": "a", "text": "t"}])[:2]
        case.body = _cheap(body)
        response = case.call_and_validate(timeout=60, checks=CHECKS)
        error = _error(response, 400)
        assert "root:" not in error["message"] and "Traceback" not in error["message"]

    try:
        run()
    finally:
        listener.close()
    assert accepted == []
    assert len(http.get("/v1/topics/jobs").json()["jobs"]) == jobs_before
    assert {name: os.stat(name).st_mtime_ns for name in WRITE_TARGETS[:2]} == shipped
    assert not Path("/etc/cron.d/medici").exists()
