"""LLMServer's own logic with a small fake engine passed in: timeout, cancellation, streaming, context length."""

from __future__ import annotations

import asyncio
import threading

import pytest

from deployments.errors import ServiceError
from deployments.llm.jobs import GenerationJob
from deployments.llm.server import LLMServer


class FakeEngine:
    """Answers each job with a fixed text, word by word, from its own thread; `hold` keeps jobs running."""

    device = "cpu"
    eos_id = 0
    context_length = 64
    tokenizer = None

    def __init__(self, text: str = "one two three", hold: bool = False) -> None:
        self.text = text
        self.hold = hold
        self.jobs: list[GenerationJob] = []
        self.runtime = None
        self.healthy = True

    def encode(self, text: str) -> list[int]:
        return [1 + (ord(c) % 50) for c in text]

    def decode(self, tokens: list[int]) -> str:
        return "".join(chr(t) for t in tokens)

    def chat_prompt(self, messages: list[dict]) -> list[int]:
        return self.encode("".join(m["content"] for m in messages))

    def reconfigure(self, runtime) -> None:
        self.runtime = runtime

    def check_health(self) -> None:
        if not self.healthy:
            raise RuntimeError("broken")

    def shutdown(self) -> None: ...

    def submit(self, job: GenerationJob, done) -> None:
        self.jobs.append(job)

        def run() -> None:
            words = self.text.split(" ")
            for i, word in enumerate(words):
                if job.emit:
                    job.emit(word if i == 0 else " " + word)
            if self.hold:
                job.cancelled.wait(30)
                job.finish_reason = "cancelled"
            else:
                job.text, job.finish_reason, job.completion_tokens = self.text, "stop", len(words)
            done(None)

        threading.Thread(target=run, daemon=True).start()


def _server(engine: FakeEngine, **runtime) -> LLMServer:
    server = LLMServer({}, engine_factory=lambda settings, metrics: engine)
    if runtime:
        server.reconfigure(runtime)
    return server


def test_the_engine_is_passed_in_and_answers_a_completion() -> None:
    engine = FakeEngine()
    reply = asyncio.run(_server(engine).completions({"prompt": "hi", "max_tokens": 5}))
    assert reply["choices"][0]["text"] == "one two three"
    assert reply["usage"]["completion_tokens"] == 3 and reply["usage"]["prompt_tokens"] == 2
    assert engine.jobs[0].max_tokens == 5


def test_reconfigure_reaches_the_engine() -> None:
    engine = FakeEngine()
    _server(engine, max_batch_size=3, request_timeout_s=2)
    assert engine.runtime.max_batch_size == 3 and engine.runtime.request_timeout_s == 2


def test_a_request_past_the_timeout_gets_504_and_its_job_is_cancelled() -> None:
    engine = FakeEngine(hold=True)
    server = _server(engine, request_timeout_s=0.2)
    with pytest.raises(ServiceError) as caught:
        asyncio.run(server.completions({"prompt": "hi", "max_tokens": 5}))
    assert caught.value.status == 504 and caught.value.type == "timeout"
    assert engine.jobs[0].cancelled.is_set()


def test_a_caller_that_goes_away_cancels_its_job() -> None:
    engine = FakeEngine(hold=True)
    server = _server(engine)

    async def go() -> None:
        task = asyncio.ensure_future(server.completions({"prompt": "hi", "max_tokens": 5}))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert engine.jobs[0].cancelled.is_set()


def test_streaming_yields_the_engine_pieces_in_order() -> None:
    engine = FakeEngine("alpha beta gamma")
    server = _server(engine)

    async def collect() -> list[dict]:
        return [chunk async for chunk in server.completions_stream({"prompt": "hi", "max_tokens": 5})]

    chunks = asyncio.run(collect())
    texts = [c["choices"][0]["text"] for c in chunks]
    assert "".join(texts) == "alpha beta gamma" and texts[:3] == ["alpha", " beta", " gamma"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_a_prompt_past_the_context_length_is_a_400_before_the_engine_sees_it() -> None:
    engine = FakeEngine()
    server = _server(engine)
    with pytest.raises(ServiceError) as caught:
        asyncio.run(server.completions({"prompt": "x" * 60, "max_tokens": 10}))
    assert caught.value.status == 400 and caught.value.code == "context_length_exceeded"
    with pytest.raises(ServiceError) as caught:
        asyncio.run(server.chat({"messages": [{"role": "user", "content": "y" * 64}]}))
    assert caught.value.status == 400 and caught.value.param == "messages"
    assert engine.jobs == []


def test_the_health_check_is_the_engines() -> None:
    engine = FakeEngine()
    server = _server(engine)
    server.check_health()
    engine.healthy = False
    with pytest.raises(RuntimeError):
        server.check_health()
