"""The OpenAI-compatible API over real HTTP, against the real model on a real local Ray Serve."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from tests.integration.conftest import REQUEST_TIMEOUT_S

pytestmark = pytest.mark.integration

CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


def test_healthz_and_models(http: httpx.Client, model_name: str) -> None:
    health = http.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["model"] == model_name == "smollm2-135m-instruct"
    models = http.get("/v1/models").json()
    assert models["object"] == "list"
    assert [(m["id"], m["task"]) for m in models["data"]] == [(model_name, "generate"), ("minilm", "embed")]
    assert models["data"][0]["max_model_len"] == health.json()["context_length"]


def test_chat_with_openai_client(openai_client, model_name: str) -> None:
    reply = openai_client.chat.completions.create(model=model_name, messages=CAPITAL, max_tokens=8, temperature=0)
    assert reply.object == "chat.completion"
    assert "Paris" in reply.choices[0].message.content
    assert reply.choices[0].message.role == "assistant"
    assert reply.usage.prompt_tokens > 10
    assert 1 <= reply.usage.completion_tokens <= 8
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_completion_with_openai_client(openai_client, model_name: str) -> None:
    reply = openai_client.completions.create(model=model_name, prompt="1, 2, 3, 4,", max_tokens=4, temperature=0)
    assert reply.object == "text_completion"
    assert reply.choices[0].text.strip().startswith("5")
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 4


def test_chat_stream_with_openai_client(openai_client, model_name: str) -> None:
    stream = openai_client.chat.completions.create(
        model=model_name, messages=CAPITAL, max_tokens=8, temperature=0, stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    plain = openai_client.chat.completions.create(model=model_name, messages=CAPITAL, max_tokens=8, temperature=0)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert len(chunks) >= 3
    assert text == plain.choices[0].message.content


def test_completion_stream_raw_sse_ends_with_done(http: httpx.Client) -> None:
    body = {"prompt": "The sky is", "max_tokens": 5, "temperature": 0, "stream": True}
    with http.stream("POST", "/v1/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[len("data: "):] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == 5


def test_stop_cuts_before_the_stop_string(http: httpx.Client) -> None:
    body = {"prompt": "1, 2, 3, 4,", "max_tokens": 12, "temperature": 0}
    full = http.post("/v1/completions", json=body).json()["choices"][0]["text"]
    assert "6" in full, full  # the continuation the stop must cut
    stopped = http.post("/v1/completions", json={**body, "stop": ["6"]}).json()["choices"][0]
    assert stopped["finish_reason"] == "stop"
    assert stopped["text"] == full[: full.index("6")]


def test_stop_in_a_stream_is_never_sent(http: httpx.Client) -> None:
    body = {"prompt": "1, 2, 3, 4,", "max_tokens": 12, "temperature": 0, "stop": [" 6"], "stream": True}
    with http.stream("POST", "/v1/completions", json=body) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    text = "".join(json.loads(e)["choices"][0]["text"] for e in events[:-1])
    assert "6" not in text and text.strip().startswith("5")


def test_guided_choice_returns_exactly_one_choice(openai_client, model_name: str) -> None:
    choices = ["positive", "negative", "neutral"]
    messages = [{"role": "user", "content": "Is the sentence 'I love this museum!' positive or negative?"}]
    reply = openai_client.chat.completions.create(
        model=model_name, messages=messages, max_tokens=10, temperature=1.0, seed=3,
        extra_body={"guided_choice": choices},
    )
    assert reply.choices[0].message.content in choices
    assert reply.choices[0].finish_reason == "stop"


def test_guided_choice_with_shared_prefixes(http: httpx.Client) -> None:
    choices = ["search", "search more", "Final Answer"]
    for seed in range(4):
        body = {"prompt": "Action:", "max_tokens": 8, "temperature": 1.5, "seed": seed, "guided_choice": choices}
        assert http.post("/v1/completions", json=body).json()["choices"][0]["text"] in choices


def test_seed_makes_sampling_repeatable(http: httpx.Client) -> None:
    body = {"prompt": "Once upon a time", "max_tokens": 12, "temperature": 1.0, "seed": 1234}
    first = http.post("/v1/completions", json=body).json()["choices"][0]["text"]
    second = http.post("/v1/completions", json=body).json()["choices"][0]["text"]
    others = {http.post("/v1/completions", json={**body, "seed": s}).json()["choices"][0]["text"] for s in (1, 2, 3)}
    assert first == second
    assert len(others | {first}) > 1  # a different seed gives a different story


def test_concurrent_requests_are_answered_in_one_batch(http: httpx.Client) -> None:
    body = {"prompt": "1, 2, 3, 4,", "max_tokens": 3, "temperature": 0}
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: http.post("/v1/completions", json=body).json(), range(8)))
    texts = {r["choices"][0]["text"] for r in replies}
    assert len(texts) == 1 and next(iter(texts)).strip().startswith("5")


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    return error


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "hi", "max_tokens": 0}, "max_tokens"),
        ({"prompt": "hi", "max_tokens": -5}, "max_tokens"),
        ({"prompt": "hi", "temperature": 3}, "temperature"),
        ({"prompt": "hi", "n": 9}, "n"),
        ({"prompt": "hi", "logit_bias": {"5": 1}}, "logit_bias"),
        ({"prompt": "hi", "guided_regex": "("}, "body"),
        ({"prompt": "hi", "guided_choice": []}, "guided_choice"),
        ({"max_tokens": 3}, "prompt"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(http: httpx.Client, body: dict, field: str) -> None:
    error = _error(http.post("/v1/completions", json=body), 400)
    assert error["param"] == field
    assert field in error["message"]


def test_invalid_json_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", content=b'{"messages": [', headers={"content-type": "application/json"})
    assert "JSON" in _error(response, 400)["message"]


def test_prompt_longer_than_context_is_400_with_both_lengths(http: httpx.Client, openai_client, model_name) -> None:
    context = http.get("/healthz").json()["context_length"]
    response = http.post("/v1/completions", json={"prompt": "hello " * (context + 10), "max_tokens": 5})
    error = _error(response, 400)
    assert str(context) in error["message"] and "prompt has" in error["message"]
    with pytest.raises(openai.BadRequestError):
        openai_client.completions.create(model=model_name, prompt="hi", max_tokens=context + 1)


def test_unknown_model_is_404(openai_client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="gpt-9", messages=CAPITAL, max_tokens=2)
    assert caught.value.body["code"] == "model_not_found"


def test_unknown_route_is_404_in_openai_shape(http: httpx.Client) -> None:
    assert _error(http.get("/v1/nothing"), 404)["type"] == "not_found_error"


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    response = http.post("/v1/completions", json={"prompt": "x" * (2 * 1024 * 1024)})
    assert _error(response, 413)["code"] == "request_too_large"


def test_generation_past_the_timeout_is_504_and_frees_its_slot(http: httpx.Client) -> None:
    body = {"prompt": "Write a very long story.", "max_tokens": 4000, "temperature": 0.8, "ignore_eos": True}
    error = _error(http.post("/v1/completions", json=body, timeout=REQUEST_TIMEOUT_S * 4), 504)
    assert "timeout" in error["message"]
    # the cancelled generation left the batch: a short request is answered right after
    quick = http.post("/v1/completions", json={"prompt": "1, 2, 3,", "max_tokens": 2, "temperature": 0})
    assert quick.status_code == 200
