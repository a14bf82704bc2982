"""The generation engine: continuous batching over the model's forward pass, in one decoding thread.

Each step, in order: requests whose caller gave up leave (their slot frees at once); waiting
requests join as the scheduler admits them (one prefill each, reusing cached prefixes) and get
their first token; then one forward decodes one token for every running row. A row leaves as soon
as it is finished, so a short request never waits for a long one that started earlier. The per-row
rules (sampling, seeds, stop strings, constraints, streaming, usage) are `rows.py`'s; this module
only schedules rows and runs the forwards.

Hand-written rather than transformers' continuous-batching manager: that manager owns sampling and
stopping, which would leave no place for the per-row rules, constrained decoding or streaming
callbacks; a step loop over `model.model` keeps them and costs one forward per step for the batch.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import torch

from deployments.llm.jobs import GenerationJob
from deployments.llm.metrics import NullMetrics
from deployments.llm.rows import Row, advance_rows, pick_tokens
from deployments.llm.runner import ModelRunner
from deployments.llm.scheduler import Pending, Scheduler
from deployments.llm.settings import LLMRuntimeConfig
from deployments.llm.thread_priority import set_current_thread_nice

logger = logging.getLogger("ray.serve")

Done = Callable[[BaseException | None], None]

# Seconds without work after which the KV buffer is freed. Shorter would free and reallocate it between
# the back-to-back requests of a busy client (a zeroed buffer of every layer each time).
IDLE_RELEASE_S = 2.0


class _Active:
    """A running row and what the engine tracks for it."""

    __slots__ = ("row", "width", "done", "started", "first_token", "next_token")

    def __init__(self, row: Row, pending: Pending) -> None:
        self.row = row
        self.width = pending.width
        self.done: Done = pending.extra["done"]
        self.started: float = pending.extra["started"]
        self.first_token: float | None = None
        self.next_token = 0


class Engine:
    """Holds the model and tokenizer; `submit` queues a job, the decoding thread runs it to its end."""

    def __init__(self, model, tokenizer, device: torch.device, runtime: LLMRuntimeConfig | None = None, metrics=None,
                 cuda_graphs: bool = True) -> None:
        """``cuda_graphs``: on a GPU, decode steps replay a CUDA graph per batch-size bucket (`cuda_graphs`)."""
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        eos = model.generation_config.eos_token_id or tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        self.eos_list = sorted(self.eos_ids)
        self.eos_id = min(self.eos_ids)
        self.context_length = int(getattr(model.config, "max_position_embeddings", 2048))
        self.runtime = runtime or LLMRuntimeConfig()
        self.metrics = metrics or NullMetrics()
        self.runner = ModelRunner(model, device, self.runtime.prefix_cache_tokens, self.runtime.prefix_cache_block_tokens)
        self.scheduler = Scheduler(self.runtime.max_batch_size, self.runtime.max_tokens_in_flight)
        if cuda_graphs and device.type == "cuda":
            self.runner.use_graphs(self.runtime.max_batch_size, pad_token=self.eos_id)
        self.running: list[_Active] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fatal: BaseException | None = None
        self._nice_asked: int | None = None  # the decode_thread_nice the decoding thread last applied
        self.steps = 0
        self.autostart = True  # False: nothing runs until the caller calls `step` (tests step by hand)

    # --- tokenizer surface -----------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def chat_prompt(self, messages: list[dict]) -> list[int]:
        encoded = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        return list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)

    # --- lifecycle ---------------------------------------------------------------------------
    def reconfigure(self, runtime: LLMRuntimeConfig) -> None:
        """New bounds apply from the next step; the prefix cache keeps what still fits."""
        self.runtime = runtime
        self.scheduler.max_batch_size = runtime.max_batch_size
        self.scheduler.max_tokens_in_flight = runtime.max_tokens_in_flight
        graphs = self.runner.graphs
        if graphs is not None and graphs.largest != runtime.max_batch_size:  # buckets for the new bound
            self.runner.use_graphs(runtime.max_batch_size, graphs.capture, graphs.pad_token)
        prefix = self.runner.prefix
        prefix.max_tokens = runtime.prefix_cache_tokens
        if runtime.prefix_cache_tokens <= 0 or runtime.prefix_cache_block_tokens != prefix.block_size:
            prefix.clear()  # blocks of another size can no longer be looked up
            prefix.block_size = runtime.prefix_cache_block_tokens

    def check_health(self) -> None:
        if self._fatal is not None:
            raise RuntimeError(f"generation failed: {self._fatal!r}")
        if self._thread is not None and not self._thread.is_alive() and not self._stop.is_set():
            raise RuntimeError("the decoding thread has stopped")

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()

    def stats(self) -> dict:
        prefix = self.runner.prefix
        return {
            "running": len(self.running),
            "waiting": len(self.scheduler),
            "steps": self.steps,
            "kv_cache_bytes": self.runner.cache.bytes(),
            "prefix_cache_tokens": prefix.tokens,
            "prefix_cache_hit_rate": prefix.hit_rate,
        }

    # --- requests ----------------------------------------------------------------------------
    def submit(self, job: GenerationJob, done: Done) -> None:
        """Queue ``job``; ``done(None)`` (or ``done(error)``) is called from the decoding thread."""
        width = len(job.prompt_ids) + job.max_tokens + 1
        self.scheduler.add(Pending(job, width, {"done": done, "started": time.perf_counter()}))
        self.metrics.request_started(len(job.prompt_ids))
        if self._thread is None and self.autostart:
            self._thread = threading.Thread(target=self._loop, name="decode", daemon=True)
            self._thread.start()
        self._wake.set()

    def generate(self, jobs: list[GenerationJob]) -> list[GenerationJob]:
        """Blocking convenience for scripts and tests: run ``jobs`` to their end."""
        events = [threading.Event() for _ in jobs]
        errors: list[BaseException] = []

        def done_for(event: threading.Event) -> Done:
            def done(error: BaseException | None) -> None:
                if error is not None:
                    errors.append(error)
                event.set()
            return done

        for job, event in zip(jobs, events):
            self.submit(job, done_for(event))
        for event in events:
            event.wait()
        if errors:
            raise errors[0]
        return jobs

    # --- the decoding thread -----------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.runtime.decode_thread_nice != self._nice_asked:  # at start, and after a reconfigure
                self._nice_asked = self.runtime.decode_thread_nice
                if self._nice_asked is not None:
                    set_current_thread_nice(self._nice_asked)
            if not self.running and not len(self.scheduler):
                if not self._wake.wait(IDLE_RELEASE_S):
                    self.runner.release_if_empty()
                    self._wake.wait()
                self._wake.clear()
                continue
            try:
                self.step()
            except Exception as exc:  # a broken model must surface in health checks, not only in replies
                logger.exception("engine step failed with %d rows running", len(self.running))
                self._fatal = exc
                self._fail_all(exc)

    @torch.inference_mode()
    def step(self) -> None:
        """One engine step: drop cancelled, admit and prefill, decode one token for every row."""
        self.steps += 1
        for pending in self.scheduler.drop_cancelled():
            pending.job.finish_reason = "cancelled"
            self._finish_pending(pending)
        cancelled = [i for i, active in enumerate(self.running) if active.row.job.cancelled.is_set()]
        for i in cancelled:
            row = self.running[i].row
            row.finish("cancelled", self.decode(row.tokens))
        self._remove(cancelled)
        widths = [active.width for active in self.running]
        admitted = self.scheduler.admit(widths, self.runtime.max_prefill_tokens_per_step)
        if admitted:
            self._join(admitted)
        if self.running:
            self._decode()
        prefix = self.runner.prefix
        self.metrics.step(len(self.running), len(self.scheduler), len(self.running))
        self.metrics.prefix_cache(prefix.queries, prefix.hits, prefix.hit_rate)

    def _join(self, admitted: list[Pending]) -> None:
        """The admitted requests join: prefilled together, then each picks its first token."""
        try:
            actives = [_Active(Row(pending.job, self.encode, self.device), pending) for pending in admitted]
            logits, _ = self.runner.add([p.job.prompt_ids for p in admitted], [p.width for p in admitted])
        except Exception as exc:  # none of them joined: each is told here, the running rows by the loop
            for pending in admitted:
                pending.extra["done"](exc)
            raise
        self.running.extend(actives)
        self._advance(actives, logits)  # past this point a failure fails every running row, these included

    def _decode(self) -> None:
        logits = self.runner.decode([active.next_token for active in self.running])
        self._advance(self.running, logits)

    def _advance(self, actives: list[_Active], logits: torch.Tensor) -> None:
        rows = [active.row for active in actives]
        tokens = pick_tokens(rows, logits, self.eos_list)
        finished = advance_rows(rows, tokens, self.eos_ids, self.decode)
        now = time.perf_counter()
        for active, token in zip(actives, tokens):
            active.next_token = token
            if active.first_token is None:
                active.first_token = now
                self.metrics.first_token(now - active.started)
        done = [self.running.index(active) for active, fin in zip(actives, finished) if fin]
        self._remove(done)

    def _remove(self, indices: list[int]) -> None:
        """Finished rows leave the batch (their slots are reused at once) and their callers are told."""
        for i in sorted(indices, reverse=True):
            active = self.running[i]
            self.runner.remove(i)
            self.running[i] = self.running[-1]
            self.running.pop()
            self.metrics.request_finished(time.perf_counter() - active.started, active.row.job.completion_tokens)
            active.done(None)

    def _finish_pending(self, pending: Pending) -> None:
        self.metrics.request_finished(time.perf_counter() - pending.extra["started"], 0)
        pending.extra["done"](None)

    def _fail_all(self, exc: BaseException) -> None:
        for active in self.running:
            active.done(exc)
        self.running.clear()
        while self.runner.rows:
            self.runner.remove(self.runner.rows - 1)
