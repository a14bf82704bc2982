"""The LLMServer's engine metrics, named as vLLM names them, on Ray's Prometheus metrics endpoint.

After a few real requests, the node's metrics endpoint carries time to first token, end-to-end
latency, prompt and generation tokens, running and waiting requests, batch size and the
prefix-cache counters (Ray prefixes application metrics with `ray_`). Ray exports on an interval,
so the scrape is retried until the counters include these requests.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

pytestmark = pytest.mark.integration

NAMES = [
    "ray_vllm_time_to_first_token_seconds_bucket",
    "ray_vllm_e2e_request_latency_seconds_bucket",
    "ray_vllm_prompt_tokens",
    "ray_vllm_generation_tokens",
    "ray_vllm_num_requests_running",
    "ray_vllm_num_requests_waiting",
    "ray_vllm_iteration_batch_size_bucket",
    "ray_vllm_prefix_cache_queries",
    "ray_vllm_prefix_cache_hits",
    "ray_vllm_gpu_prefix_cache_hit_rate",
]


def _metrics_url() -> str:
    import ray

    node = ray._private.worker.global_worker.node
    return f"http://{node.node_ip_address}:{node.metrics_export_port}/metrics"


def _sum(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"{re.escape(name)}(?:_total)?\{{([^}}]*)\}} ([0-9.e+-]+)$", line)
        if match and 'model_name="smollm2-135m-instruct"' in match.group(1):
            total += float(match.group(2))
    return total


def test_engine_metrics_reach_the_ray_metrics_endpoint(http: httpx.Client) -> None:
    prompt = "Count from one to forty in words, separated by commas: one, two, three, four, five,"
    body = {"prompt": prompt, "max_tokens": 5, "temperature": 0, "ignore_eos": True}
    for _ in range(3):
        assert http.post("/v1/completions", json=body).status_code == 200
    url = _metrics_url()
    text = ""
    for _ in range(60):  # Ray exports on an interval: wait for these requests to be in the counters
        text = httpx.get(url, timeout=10).text
        if _sum(text, "ray_vllm_generation_tokens") >= 15 and all(name in text for name in NAMES):
            break
        time.sleep(2)
    missing = [name for name in NAMES if name not in text]
    assert not missing, missing
    assert _sum(text, "ray_vllm_generation_tokens") >= 15
    assert _sum(text, "ray_vllm_prompt_tokens") >= 3 * 16
    # the same prompt three times: the later two reuse its cached whole blocks
    assert _sum(text, "ray_vllm_prefix_cache_hits") > 0
    assert _sum(text, "ray_vllm_time_to_first_token_seconds_count") >= 3
