"""Engine metrics, named as vLLM names them, exported through Ray Serve's metrics (Prometheus).

vLLM's names with its ``vllm:`` prefix written ``vllm_``: Ray deprecates ``:`` in metric names (a
future Ray drops such metrics). Ray prefixes every application metric with ``ray_`` on its metrics
endpoint: ``ray_vllm_time_to_first_token_seconds`` and so on.
The engine calls `EngineMetrics`' hooks from its decoding thread; `NullMetrics` is the default, so
the engine runs (and is unit-tested) without Ray.
"""

from __future__ import annotations

# vLLM's latency buckets (seconds), trimmed to what a CPU replica can take
_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0]
_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256]


class NullMetrics:
    """Records nothing: the engine outside a Serve replica."""

    def request_started(self, prompt_tokens: int) -> None: ...

    def first_token(self, seconds: float) -> None: ...

    def request_finished(self, seconds: float, generation_tokens: int) -> None: ...

    def step(self, running: int, waiting: int, generated: int) -> None: ...

    def prefix_cache(self, queries: int, hits: int, hit_rate: float) -> None: ...


class EngineMetrics(NullMetrics):
    """The vLLM metric set on `ray.serve.metrics`; build it inside the replica (it needs Ray)."""

    def __init__(self, model_name: str) -> None:
        from ray.serve import metrics  # Ray only where metrics are recorded

        tags = ("model_name",)
        self.ttft = metrics.Histogram(
            "vllm_time_to_first_token_seconds", "Time to first token.", _LATENCY_BUCKETS, tags
        )
        self.e2e = metrics.Histogram(
            "vllm_e2e_request_latency_seconds", "End-to-end request latency.", _LATENCY_BUCKETS, tags
        )
        self.prompt_tokens = metrics.Counter("vllm_prompt_tokens", "Prefill tokens processed.", tags)
        self.generation_tokens = metrics.Counter("vllm_generation_tokens", "Generation tokens processed.", tags)
        self.requests = metrics.Counter("vllm_request_success", "Requests finished.", tags)
        self.running = metrics.Gauge("vllm_num_requests_running", "Requests in the running batch.", tags)
        self.waiting = metrics.Gauge("vllm_num_requests_waiting", "Requests waiting to join the batch.", tags)
        self.batch_size = metrics.Histogram(
            "vllm_iteration_batch_size", "Rows decoded together in one engine step.", _BATCH_BUCKETS, tags
        )
        self.cache_queries = metrics.Counter("vllm_prefix_cache_queries", "Prompt tokens looked up in the prefix cache.", tags)
        self.cache_hits = metrics.Counter("vllm_prefix_cache_hits", "Prompt tokens found in the prefix cache.", tags)
        self.cache_hit_rate = metrics.Gauge(
            "vllm_gpu_prefix_cache_hit_rate", "Prefix-cache hit rate since start (tokens).", tags
        )
        for metric in (
            self.ttft, self.e2e, self.prompt_tokens, self.generation_tokens, self.requests, self.running,
            self.waiting, self.batch_size, self.cache_queries, self.cache_hits, self.cache_hit_rate,
        ):
            metric.set_default_tags({"model_name": model_name})
        self._seen = (0, 0)

    def request_started(self, prompt_tokens: int) -> None:
        self.prompt_tokens.inc(prompt_tokens)

    def first_token(self, seconds: float) -> None:
        self.ttft.observe(seconds)

    def request_finished(self, seconds: float, generation_tokens: int) -> None:
        self.e2e.observe(seconds)
        self.requests.inc()
        if generation_tokens:
            self.generation_tokens.inc(generation_tokens)

    def step(self, running: int, waiting: int, generated: int) -> None:
        self.running.set(running)
        self.waiting.set(waiting)
        if generated:
            self.batch_size.observe(generated)

    def prefix_cache(self, queries: int, hits: int, hit_rate: float) -> None:
        """Totals since start; the counters get the increase since the last call."""
        seen_queries, seen_hits = self._seen
        if queries > seen_queries:
            self.cache_queries.inc(queries - seen_queries)
        if hits > seen_hits:
            self.cache_hits.inc(hits - seen_hits)
        self._seen = (queries, hits)
        self.cache_hit_rate.set(hit_rate)
