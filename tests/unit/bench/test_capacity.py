"""bench/capacity.py's client side: one streamed completion read into TTFT, latency and tokens, and a
level's figures, against a small hand-written OpenAI-style SSE server (httpx's in-process transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from bench.capacity import level, one_stream, percentile


def sse_server(tokens_reported: int):
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        chunks = [{"choices": [{"text": ""}]}]  # a role-only first chunk is not the first token
        chunks += [{"choices": [{"text": f"t{i}"}]} for i in range(body["max_tokens"])]
        chunks.append({"choices": [], "usage": {"completion_tokens": tokens_reported}})
        text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://capacity.test")


def test_one_stream_reads_first_token_latency_and_usage():
    ttft, latency, produced = one_stream(sse_server(8), seed=1, tokens=8)
    assert produced == 8 and 0 <= ttft <= latency


def test_a_stream_that_reports_other_than_the_tokens_asked_for_is_an_error():
    with pytest.raises(RuntimeError, match="asked for 8 tokens, the stream reported 5"):
        one_stream(sse_server(5), seed=1, tokens=8)


def test_a_level_counts_every_request_and_token():
    row = level(sse_server(4), clients=3, per_client=2, tokens=4)
    assert row["clients"] == 3 and row["requests"] == 6
    assert row["tok_s"] == pytest.approx(row["req_s"] * 4)
    assert row["ttft_p50"] <= row["p95"]


def test_percentile_picks_the_value_at_the_rank():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile([5.0, 1.0, 3.0], 0.95) == 5.0
