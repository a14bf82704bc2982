"""The LLMServer replica: validates generation requests and batches concurrent ones.

Batching uses Serve's `@serve.batch`: requests that arrive while a batch decodes form the next
batch. `bench/batching.py` measured it against transformers' continuous-batching manager on this
CPU and kept the faster (README, "Batching"). Requests cross the handle as plain dicts.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator

from ray import serve

from deployments import errors
from deployments.llm import openai_format as fmt
from deployments.llm.guided import Constraint, ConstraintError, ConstraintSpec, tokenizer_for
from deployments.llm.jobs import GenerationJob
from deployments.llm.protocol import ChatCompletionRequest, CompletionRequest
from deployments.llm.settings import LLMRuntimeConfig, LLMSettings

logger = logging.getLogger("ray.serve")


class LLMServer:
    """Holds one model; answers OpenAI completion and chat requests, plain or streamed."""

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = LLMSettings(**(settings or {}))
        from deployments.llm.loader import load_engine  # torch and transformers: replicas only

        self.engine = load_engine(self.settings)  # the only place a model is loaded
        self.runtime = LLMRuntimeConfig()
        # one generation thread: batches run one after another, the event loop stays free
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")
        self._fatal: BaseException | None = None

    # --- Serve lifecycle -------------------------------------------------------------------
    def reconfigure(self, user_config: dict) -> None:
        self.runtime = LLMRuntimeConfig(**user_config)
        self._run_batch.set_max_batch_size(self.runtime.max_batch_size)
        self._run_batch.set_batch_wait_timeout_s(self.runtime.batch_wait_timeout_s)

    def check_health(self) -> None:
        if self._fatal is not None:
            raise RuntimeError(f"generation failed: {self._fatal!r}")

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
        jobs = self._completion_jobs(request)
        await asyncio.gather(*(self._generate(job) for job in jobs))
        return fmt.completion(jobs, self.settings.served_model_name, fmt.new_id("cmpl"), self._token_text)

    async def chat(self, request: dict) -> dict:
        jobs = self._chat_jobs(request)
        await asyncio.gather(*(self._generate(job) for job in jobs))
        return fmt.chat_completion(jobs, self.settings.served_model_name, fmt.new_id("chatcmpl"), self._token_text)

    async def completions_stream(self, request: dict) -> AsyncIterator[dict]:
        jobs, name, rid = self._completion_jobs(request), self.settings.served_model_name, fmt.new_id("cmpl")
        async for index, piece in self._streams(jobs):
            yield fmt.completion_chunk(name, rid, piece, index=index)
        for index, job in enumerate(jobs):
            yield fmt.completion_chunk(name, rid, "", job, index=index)
        if self._include_usage(request):
            yield fmt.usage_chunk(name, rid, "text_completion", jobs)

    async def chat_stream(self, request: dict) -> AsyncIterator[dict]:
        jobs, name, rid = self._chat_jobs(request), self.settings.served_model_name, fmt.new_id("chatcmpl")
        for index in range(len(jobs)):
            yield fmt.chat_chunk(name, rid, {"role": "assistant", "content": ""}, index=index)
        async for index, piece in self._streams(jobs):
            yield fmt.chat_chunk(name, rid, {"content": piece}, index=index)
        for index, job in enumerate(jobs):
            yield fmt.chat_chunk(name, rid, {}, job, index=index)
        if self._include_usage(request):
            yield fmt.usage_chunk(name, rid, "chat.completion.chunk", jobs)

    # --- internals -----------------------------------------------------------------------------
    @staticmethod
    def _include_usage(request: dict) -> bool:
        return bool((request.get("stream_options") or {}).get("include_usage"))

    async def _streams(self, jobs: list[GenerationJob]) -> AsyncIterator[tuple[int, str]]:
        """(choice index, text delta) of all ``jobs`` as they come; n streams decoded together."""
        if len(jobs) == 1:
            async for piece in self._stream(jobs[0]):
                yield 0, piece
            return
        queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()

        async def pump(index: int, job: GenerationJob) -> None:
            try:
                async for piece in self._stream(job):
                    await queue.put((index, piece))
            finally:
                await queue.put(None)

        tasks = [asyncio.ensure_future(pump(i, job)) for i, job in enumerate(jobs)]
        try:
            running = len(tasks)
            while running:
                item = await queue.get()
                if item is None:
                    running -= 1
                else:
                    yield item
            for task in tasks:
                task.result()  # the first job's timeout or generation error, if any
        finally:
            for task in tasks:
                task.cancel()

    def _token_text(self, token: int) -> str:
        return self.engine.decode([token])

    def _completion_jobs(self, request: dict) -> list[GenerationJob]:
        parsed = CompletionRequest.model_validate(request)
        return self._jobs(parsed, self.engine.encode(parsed.prompt) or [self.engine.eos_id])

    def _chat_jobs(self, request: dict) -> list[GenerationJob]:
        parsed = ChatCompletionRequest.model_validate(request)
        messages = [m.model_dump(include={"role", "content"}) for m in parsed.messages]
        return self._jobs(parsed, self.engine.chat_prompt(messages))

    def _jobs(self, request: CompletionRequest | ChatCompletionRequest, prompt_ids: list[int]) -> list[GenerationJob]:
        """``n`` jobs for one request: the same prompt, distinct seeds, each with its own grammar state."""
        if request.model not in (None, self.settings.served_model_name):
            raise errors.not_found(
                f"model '{request.model}' does not exist; this server has '{self.settings.served_model_name}'",
                code="model_not_found",
            )
        max_tokens = self._max_tokens(len(prompt_ids), request.max_tokens)
        spec = request.constraint_spec()
        jobs = []
        for i in range(request.n):
            jobs.append(GenerationJob(
                prompt_ids=prompt_ids,
                max_tokens=max_tokens,
                temperature=request.temperature,
                top_p=request.top_p,
                seed=None if request.seed is None else (request.seed + i) % 2**63,
                stop=request.stop,
                constraint=self._constraint(spec) if spec is not None else None,
                ignore_eos=request.ignore_eos,
                presence_penalty=request.presence_penalty,
                frequency_penalty=request.frequency_penalty,
                logprobs=request.logprobs_k(),
            ))
        return jobs

    def _constraint(self, spec: ConstraintSpec) -> Constraint:
        try:
            return Constraint(spec, tokenizer_for(self.engine.tokenizer))
        except ConstraintError as exc:
            raise errors.bad_request(str(exc), code="invalid_constraint") from None

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
        """Run ``job`` in the next batch; past the timeout, cancel it so its batch slot frees."""
        try:
            await asyncio.wait_for(self._run_batch(job), self.runtime.request_timeout_s)
        except asyncio.TimeoutError:
            job.cancelled.set()
            raise errors.timeout(
                f"generation took longer than the request timeout of {self.runtime.request_timeout_s:g}s"
            ) from None
        except asyncio.CancelledError:
            job.cancelled.set()  # the caller went away
            raise

    async def _stream(self, job: GenerationJob) -> AsyncIterator[str]:
        """Text deltas of ``job`` as the generation thread produces them."""
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

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.05)
    async def _run_batch(self, jobs: list[GenerationJob]) -> list[GenerationJob]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self.engine.generate, jobs)
        except Exception as exc:  # a broken model must surface in health checks, not only in one reply
            logger.exception("generation failed for a batch of %d", len(jobs))
            self._fatal = exc
            raise
