"""The LLMServer replica: validates generation requests and hands them to a continuous-batching engine.

The engine is passed in (`engine_factory`, as Ray Serve LLM passes its engine class), so the
server's own logic (validation, timeouts, cancellation, streaming) is tested with a small fake
engine. The default factory loads the model in this replica's `__init__`. A request joins the
engine's running batch at its next decode step and leaves it when done (`engine.py`); requests cross
the handle as plain dicts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Callable

from deployments import errors
from deployments.llm import openai_format as fmt
from deployments.llm.jobs import GenerationJob
from deployments.llm.protocol import ChatCompletionRequest, CompletionRequest, _SamplingFields
from deployments.llm.settings import LLMRuntimeConfig, LLMSettings

logger = logging.getLogger("ray.serve")

# (settings, metrics) -> an engine: encode, decode, chat_prompt, eos_id, context_length, device,
# submit(job, done), reconfigure(runtime), check_health(), shutdown()
EngineFactory = Callable[..., Any]


def _default_factory(settings: LLMSettings, metrics=None):
    from deployments.llm.loader import load_engine  # torch and transformers: replicas only

    return load_engine(settings, metrics)


def _replica_metrics(model_name: str):
    """vLLM-named metrics inside a Serve replica; none outside Ray (unit tests, scripts)."""
    import ray

    if not ray.is_initialized():
        return None
    from deployments.llm.metrics import EngineMetrics

    return EngineMetrics(model_name)


class LLMServer:
    """Holds one engine; answers OpenAI completion and chat requests, plain or streamed."""

    def __init__(self, settings: dict | None = None, engine_factory: EngineFactory | None = None) -> None:
        self.settings = LLMSettings(**(settings or {}))
        factory = engine_factory or _default_factory
        self.engine = factory(self.settings, _replica_metrics(self.settings.served_model_name))
        self.runtime = LLMRuntimeConfig()
        self.engine.reconfigure(self.runtime)

    # --- Serve lifecycle -------------------------------------------------------------------
    def reconfigure(self, user_config: dict) -> None:
        self.runtime = LLMRuntimeConfig(**user_config)
        self.engine.reconfigure(self.runtime)

    def check_health(self) -> None:
        self.engine.check_health()

    def __del__(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.shutdown()

    # --- metadata ----------------------------------------------------------------------------
    def ready(self) -> dict[str, Any]:
        return {
            "model": self.settings.served_model_name,
            "context_length": self.engine.context_length,
            "device": str(self.engine.device),
        }

    def models(self) -> list[dict[str, Any]]:
        return [fmt.model_card(self.settings.served_model_name)]

    # --- generation ----------------------------------------------------------------------------
    async def completions(self, request: dict) -> dict:
        job = self._completion_job(request)
        await self._generate(job)
        return fmt.completion(job, self.settings.served_model_name, fmt.new_id("cmpl"))

    async def chat(self, request: dict) -> dict:
        job = self._chat_job(request)
        await self._generate(job)
        return fmt.chat_completion(job, self.settings.served_model_name, fmt.new_id("chatcmpl"))

    async def completions_stream(self, request: dict) -> AsyncIterator[dict]:
        job, name, rid = self._completion_job(request), self.settings.served_model_name, fmt.new_id("cmpl")
        async for piece in self._stream(job):
            yield fmt.completion_chunk(name, rid, piece)
        yield fmt.completion_chunk(name, rid, "", job)

    async def chat_stream(self, request: dict) -> AsyncIterator[dict]:
        job, name, rid = self._chat_job(request), self.settings.served_model_name, fmt.new_id("chatcmpl")
        yield fmt.chat_chunk(name, rid, {"role": "assistant", "content": ""})
        async for piece in self._stream(job):
            yield fmt.chat_chunk(name, rid, {"content": piece})
        yield fmt.chat_chunk(name, rid, {}, job)

    # --- internals -----------------------------------------------------------------------------
    def _completion_job(self, request: dict) -> GenerationJob:
        parsed = CompletionRequest.model_validate(request)
        return self._job(parsed, self.engine.encode(parsed.prompt) or [self.engine.eos_id])

    def _chat_job(self, request: dict) -> GenerationJob:
        parsed = ChatCompletionRequest.model_validate(request)
        messages = [m.model_dump(include={"role", "content"}) for m in parsed.messages]
        return self._job(parsed, self.engine.chat_prompt(messages))

    def _job(self, request: _SamplingFields, prompt_ids: list[int]) -> GenerationJob:
        if request.model not in (None, self.settings.served_model_name):
            raise errors.not_found(
                f"model '{request.model}' does not exist; this server has '{self.settings.served_model_name}'",
                code="model_not_found",
            )
        return GenerationJob(
            prompt_ids=prompt_ids,
            max_tokens=self._max_tokens(len(prompt_ids), request.max_tokens),
            temperature=request.temperature,
            top_p=request.top_p,
            seed=request.seed,
            stop=request.stop,
            choices=request.guided_choice,
            ignore_eos=request.ignore_eos,
        )

    def _max_tokens(self, prompt_len: int, asked: int | None) -> int:
        context = self.engine.context_length
        if asked is None:
            if prompt_len >= context:
                raise errors.bad_request(
                    f"the prompt has {prompt_len} tokens; this model's context length is {context} tokens",
                    param="messages",
                    code="context_length_exceeded",
                )
            return min(self.runtime.default_max_tokens, context - prompt_len)
        if prompt_len + asked > context:
            raise errors.bad_request(
                f"this model's context length is {context} tokens, but the prompt has {prompt_len} tokens "
                f"and max_tokens asks for {asked} more ({prompt_len + asked} in all)",
                param="max_tokens",
                code="context_length_exceeded",
            )
        return asked

    async def _generate(self, job: GenerationJob) -> None:
        """Submit ``job`` to the engine and wait for it; past the timeout, cancel it so its slot frees."""
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()

        def done(error: BaseException | None) -> None:  # called from the engine's thread
            try:
                loop.call_soon_threadsafe(_settle, finished, error)
            except RuntimeError:  # the caller's loop is closed (a script's asyncio.run ended): nobody waits
                pass

        self.engine.submit(job, done)
        try:
            await asyncio.wait_for(asyncio.shield(finished), self.runtime.request_timeout_s)
        except asyncio.TimeoutError:
            job.cancelled.set()
            raise errors.timeout(
                f"generation took longer than the request timeout of {self.runtime.request_timeout_s:g}s"
            ) from None
        except asyncio.CancelledError:
            job.cancelled.set()  # the caller went away
            raise

    async def _stream(self, job: GenerationJob) -> AsyncIterator[str]:
        """Text deltas of ``job`` as the engine's thread produces them."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()
        job.emit = lambda text: loop.call_soon_threadsafe(queue.put_nowait, text)
        task = asyncio.ensure_future(self._generate(job))
        try:
            while not (task.done() and queue.empty()):
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            task.result()  # raises the timeout or generation error, if any
        finally:
            job.cancelled.set()
            if not task.done():
                task.cancel()


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
