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
from deployments.llm.guided import Constraint, ConstraintError, ConstraintSpec, Refine, tokenizer_for
from deployments.llm.jobs import GenerationJob
from deployments.llm.protocol import ChatCompletionRequest, CompletionRequest
from deployments.llm.settings import LLMRuntimeConfig, LLMSettings
from deployments.llm.tool_repeats import token_bytes
from deployments.llm.tool_stream import ToolCallStream
from deployments.llm.tools import FunctionDef, message_text, tools_prompt

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
        # the grammar's tokenizer and the repeated-call rule's token table, built once here rather than inside
        # the decoding steps of the first constrained or tool request (every running row would wait for them);
        # an engine without a tokenizer (a test's) has no constrained decoding
        if getattr(self.engine, "tokenizer", None) is not None:
            token_bytes(tokenizer_for(self.engine.tokenizer))

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

    def output_settings(self) -> dict[str, Any]:
        """The settings that change what the model answers (not how fast): a label cache keys on them, since
        int4/int8 weights or another dtype can change even greedy outputs. `auto` values resolve from the
        model and the device, both named here."""
        s = self.settings
        return {"model": s.model, "served_model_name": s.served_model_name, "device": str(self.engine.device),
                "dtype": s.dtype, "quantize": s.quantize, "quantize_lm_head": s.quantize_lm_head,
                "lm_head_exact_top_k": s.lm_head_exact_top_k}

    def models(self) -> list[dict[str, Any]]:
        return [fmt.model_card(self.settings.served_model_name, "generate", self.engine.context_length)]

    # --- generation ----------------------------------------------------------------------------
    async def completions(self, request: dict) -> dict:
        jobs = self._completion_jobs(request)
        await asyncio.gather(*(self._generate(job) for job in jobs))
        return fmt.completion(jobs, self.settings.served_model_name, fmt.new_id("cmpl"), self._token_text)

    async def chat(self, request: dict) -> dict:
        jobs, functions = self._chat_jobs(request)
        await asyncio.gather(*(self._generate(job) for job in jobs))
        return fmt.chat_completion(jobs, self.settings.served_model_name, fmt.new_id("chatcmpl"), self._token_text,
                                   functions)

    async def completions_stream(self, request: dict) -> AsyncIterator[dict]:
        """Text deltas, each with the logprobs of the tokens it delivers; then one last chunk per choice."""
        jobs, name, rid = self._completion_jobs(request), self.settings.served_model_name, fmt.new_id("cmpl")
        sent, offsets = [0] * len(jobs), [0] * len(jobs)

        def logprobs(index: int, upto: int | None) -> dict | None:
            lp = fmt.completion_logprobs(jobs[index], self._token_text, sent[index], upto, offsets[index])
            if not (lp and lp["tokens"]):
                return None
            sent[index] += len(lp["tokens"])
            offsets[index] += sum(len(t) for t in lp["tokens"])
            return lp

        async for index, piece, upto in self._streams(jobs):
            yield fmt.completion_chunk(name, rid, piece, index=index, logprobs=logprobs(index, upto))
        for index, job in enumerate(jobs):
            yield self._last(request, fmt.completion_chunk(name, rid, "", job, index=index,
                                                           logprobs=logprobs(index, None)))
        if self._include_usage(request):
            yield fmt.usage_chunk(name, rid, "text_completion", jobs)

    async def chat_stream(self, request: dict) -> AsyncIterator[dict]:
        """Content deltas, or with tools the call deltas (`ToolCallStream`); logprobs ride on the chunk
        that delivers their tokens (a token that delivers nothing yet waits for the next chunk)."""
        (jobs, functions), name, rid = self._chat_jobs(request), self.settings.served_model_name, fmt.new_id("chatcmpl")
        parsers = [ToolCallStream(job.call_id) if functions else None for job in jobs]
        sent = [0] * len(jobs)

        def logprobs(index: int, upto: int | None) -> dict | None:
            lp = fmt.chat_logprobs(jobs[index], self._token_text, sent[index], upto)
            if not (lp and lp["content"]):
                return None
            sent[index] += len(lp["content"])
            return lp

        for index in range(len(jobs)):
            yield fmt.chat_chunk(name, rid, {"role": "assistant", "content": ""}, index=index)
        async for index, piece, upto in self._streams(jobs):
            parser = parsers[index]
            for delta in parser.feed(piece) if parser else [{"content": piece}]:
                yield fmt.chat_chunk(name, rid, delta, index=index, logprobs=logprobs(index, upto))
        for index, job in enumerate(jobs):
            yield self._last(request, fmt.chat_chunk(name, rid, {}, job, index=index, functions=functions,
                                                     logprobs=logprobs(index, None)))
        if self._include_usage(request):
            yield fmt.usage_chunk(name, rid, "chat.completion.chunk", jobs)

    # --- internals -----------------------------------------------------------------------------
    @staticmethod
    def _include_usage(request: dict) -> bool:
        return bool((request.get("stream_options") or {}).get("include_usage"))

    @classmethod
    def _last(cls, request: dict, chunk: dict) -> dict:
        """A choice's last chunk; its own usage goes when the usage chunk follows (clients that sum the
        usage of every chunk, as LangChain does, would count it twice)."""
        if cls._include_usage(request):
            chunk.pop("usage", None)
        return chunk

    async def _streams(self, jobs: list[GenerationJob]) -> AsyncIterator[tuple[int, str, int]]:
        """(choice index, text delta, tokens generated up to it) of all ``jobs`` as they come; n streams
        decoded together."""
        if len(jobs) == 1:
            async for piece, upto in self._stream(jobs[0]):
                yield 0, piece, upto
            return
        queue: asyncio.Queue[tuple[int, str, int] | None] = asyncio.Queue()

        async def pump(index: int, job: GenerationJob) -> None:
            try:
                async for piece, upto in self._stream(job):
                    await queue.put((index, piece, upto))
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

    def _chat_jobs(self, request: dict) -> tuple[list[GenerationJob], list[FunctionDef]]:
        """The jobs, and the functions the answer may call (none without tools or with tool_choice none)."""
        parsed = ChatCompletionRequest.model_validate(request)
        messages = [{"role": m.role, "content": message_text(m)} for m in parsed.messages]
        functions = parsed.active_tools()
        if functions:
            messages.insert(0, {"role": "system", "content": tools_prompt(functions, parsed.parallel_tool_calls)})
        return self._jobs(parsed, self.engine.chat_prompt(messages)), functions

    def _jobs(self, request: CompletionRequest | ChatCompletionRequest, prompt_ids: list[int]) -> list[GenerationJob]:
        """``n`` jobs for one request: the same prompt, distinct seeds, each with its own grammar state."""
        if request.model not in (None, self.settings.served_model_name):
            raise errors.not_found(
                f"model '{request.model}' does not exist; this server has '{self.settings.served_model_name}'",
                code="model_not_found",
            )
        max_tokens = self._max_tokens(len(prompt_ids), request.max_tokens)
        spec = request.constraint_spec()
        refine = request.tool_refine() if isinstance(request, ChatCompletionRequest) else None
        constraint = self._constraint(spec, refine) if spec is not None else None
        jobs = []
        for i in range(request.n):
            jobs.append(GenerationJob(
                prompt_ids=prompt_ids,
                max_tokens=max_tokens,
                temperature=request.temperature,
                top_p=request.top_p,
                seed=None if request.seed is None else (request.seed + i) % 2**63,
                stop=request.stop,
                constraint=None if constraint is None else constraint if i == 0 else constraint.copy(),
                ignore_eos=request.ignore_eos,
                presence_penalty=request.presence_penalty,
                frequency_penalty=request.frequency_penalty,
                logprobs=request.logprobs_k(),
            ))
        return jobs

    def _constraint(self, spec: ConstraintSpec, refine: Refine | None = None) -> Constraint:
        try:
            return Constraint(spec, tokenizer_for(self.engine.tokenizer), refine)
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
            cap = self.runtime.default_max_tokens
            return context - prompt_len if cap is None else min(cap, context - prompt_len)
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

    async def _stream(self, job: GenerationJob) -> AsyncIterator[tuple[str, int]]:
        """Text deltas of ``job`` as the engine's thread produces them, each with the number of tokens
        whose logprobs were recorded when it was emitted (the tokens it delivers end there)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        job.emit = lambda text: loop.call_soon_threadsafe(queue.put_nowait, (text, len(job.token_logprobs)))
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
