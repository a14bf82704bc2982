"""Faults: the LLMServer replica's actor is killed while requests are in flight.

Runs on its own application (`faults`, under `/faults`) in the session's Ray cluster, with its own
LLMServer replica, so killing it disturbs no other test; the app is deleted afterwards. Claims:
every in-flight request gets an answer or a clear OpenAI-shaped 5xx within the ingress deadline
(none hangs), a request sent while the replica is gone is bounded the same way, Serve starts a new
replica, and `/healthz` is 200 again within RECOVERY_BOUND_S.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.conftest import INGRESS_DEADLINE_S, app_args_for_tests

pytestmark = pytest.mark.integration

APP = "faults"
RECOVERY_BOUND_S = 240.0  # a fresh replica loads the model: 30-90 s on 2 busy cores, with room to spare
CLIENT_TIMEOUT_S = INGRESS_DEADLINE_S + 30  # the ingress answers within its deadline; past this, it hung
LONG = {"prompt": "Tell a long story about a painter in Florence.", "max_tokens": 200, "temperature": 0.7,
        "ignore_eos": True}


def _healthy_within(url: str, timeout_s: float) -> float | None:
    """Seconds until `/healthz` is 200, or None if it was not within ``timeout_s``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if httpx.get(f"{url}/healthz", timeout=10).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return None


def _replica_names() -> list[str]:
    import ray

    return sorted(actor["name"] for actor in ray.util.list_named_actors(all_namespaces=True)
                  if actor["name"].startswith(f"SERVE_REPLICA::{APP}#LLMServer#"))


@pytest.fixture(scope="module")
def faults_url(base_url: str):
    from ray import serve

    from app import build_app

    args = app_args_for_tests()  # small CPU shares: the session app holds the rest of the cluster
    args["options"] = {"LLMServer": {"ray_actor_options": {"num_cpus": 0.5}},
                       "Embedder": {"ray_actor_options": {"num_cpus": 0}},
                       "Ingress": {"ray_actor_options": {"num_cpus": 0}}}
    serve.run(build_app(args), name=APP, route_prefix=f"/{APP}", blocking=False)
    url = f"{base_url}/{APP}"
    try:
        assert _healthy_within(url, 600) is not None, "the faults app never became healthy"
        yield url
    finally:
        serve.delete(APP)


def _post(url: str, body: dict) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        response = httpx.post(f"{url}/v1/completions", json=body, timeout=CLIENT_TIMEOUT_S)
    except httpx.TimeoutException:
        return -1, {}, time.monotonic() - started  # a hang: the assertions name it
    return response.status_code, response.json(), time.monotonic() - started


def _stream(url: str, body: dict) -> tuple[int, list[str], float]:
    started = time.monotonic()
    with httpx.stream("POST", f"{url}/v1/completions", json={**body, "stream": True},
                      timeout=CLIENT_TIMEOUT_S) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, [response.text], time.monotonic() - started
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    return 200, events, time.monotonic() - started


def _is_clear_error(status: int, body: dict) -> bool:
    error = body.get("error") or {}
    return status in (503, 504) and {"message", "type", "code"} <= set(error) and error["type"] != "internal_error"


def test_killing_the_llm_replica_mid_request_fails_cleanly_and_recovers(faults_url: str) -> None:
    import ray

    (victim,) = _replica_names()
    with ThreadPoolExecutor(8) as pool:
        plain = [pool.submit(_post, faults_url, {**LONG, "seed": i}) for i in range(6)]
        streams = [pool.submit(_stream, faults_url, {**LONG, "seed": 10 + i}) for i in range(2)]
        time.sleep(3)  # the requests reach the replica and start decoding
        ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)
        killed_at = time.monotonic()
        during = _post(faults_url, {"prompt": "1, 2, 3,", "max_tokens": 2})  # sent while the replica is gone
        results = [future.result() for future in plain]
        streamed = [future.result() for future in streams]

    for status, body, elapsed in [*results, during]:
        assert status != -1 and elapsed < CLIENT_TIMEOUT_S, "a request hung"
        assert status == 200 or _is_clear_error(status, body), (status, body)
    assert any(status == 503 for status, _, _ in results), results  # the kill was seen, and reported as 503
    for status, events, elapsed in streamed:  # a stream cut midway ends with an error event and [DONE]
        assert elapsed < CLIENT_TIMEOUT_S
        if status != 200:
            assert _is_clear_error(status, json.loads(events[0])), (status, events)
            continue
        assert events[-1] == "[DONE]", events[-3:]
        last = json.loads(events[-2])
        assert "choices" in last or last["error"]["type"] in ("service_unavailable", "timeout"), last

    recovered_s = _healthy_within(faults_url, RECOVERY_BOUND_S)
    assert recovered_s is not None, f"/healthz not 200 within {RECOVERY_BOUND_S:g}s of the kill"
    print(f"healthy again {time.monotonic() - killed_at:.1f}s after the kill")
    assert _replica_names() != [victim] and len(_replica_names()) == 1  # Serve started a new replica
    status, body, _ = _post(faults_url, {"prompt": "1, 2, 3,", "max_tokens": 2, "temperature": 0})
    assert status == 200 and body["usage"]["completion_tokens"] >= 1
