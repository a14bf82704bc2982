"""Overload: a burst of N concurrent requests against the app with its default queue limits, on a
private local Ray Serve. Reports how many were served, how many were refused (429/503, each with
Retry-After), any other outcome, and the slowest latency of each kind, measured in one run.

Run: .venv/bin/python -m bench.overload [--requests 200] [--tokens 16]
Every request decodes exactly --tokens tokens (`ignore_eos`). The request timeout is the app's
default (LLMServer 60 s, ingress deadline 90 s): no request should take longer than the deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time

import httpx

from bench.serve_harness import running_app


async def one(client: httpx.AsyncClient, i: int, tokens: int) -> tuple[int, bool, float]:
    body = {"prompt": f"Story {i}: once upon a time", "max_tokens": tokens, "temperature": 0.7, "seed": i,
            "ignore_eos": True}
    started = time.perf_counter()
    try:
        response = await client.post("/v1/completions", json=body)
    except httpx.HTTPError:
        return -1, False, time.perf_counter() - started
    return response.status_code, "retry-after" in response.headers, time.perf_counter() - started


async def burst(url: str, n: int, tokens: int, timeout_s: float) -> tuple[list[tuple[int, bool, float]], float]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, limits=limits) as client:
        await one(client, -1, 2)  # warm-up
        started = time.perf_counter()
        results = await asyncio.gather(*(one(client, i, tokens) for i in range(n)))
        return list(results), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--client-timeout", type=float, default=300.0, help="past this a request counts as hung")
    args = parser.parse_args()
    from deployments.api.settings import IngressSettings
    from deployments.builder import DEFAULT_OPTIONS

    deadline = IngressSettings().request_timeout_s
    with running_app({}) as url:
        results, wall = asyncio.run(burst(url, args.requests, args.tokens, args.client_timeout))
    by_status = collections.defaultdict(list)
    for status, retry_after, elapsed in results:
        by_status[status].append((retry_after, elapsed))
    llm, ingress = DEFAULT_OPTIONS["LLMServer"], DEFAULT_OPTIONS["Ingress"]
    print(f"{args.requests} concurrent requests x {args.tokens} tokens in {wall:.1f}s; limits: "
          f"LLMServer {llm['max_ongoing_requests']} ongoing + {llm['max_queued_requests']} queued, "
          f"Ingress {ingress['max_ongoing_requests']} + {ingress['max_queued_requests']}; ingress deadline {deadline:g}s")
    refused = [item for status in (429, 503) for item in by_status.get(status, [])]
    served = by_status.get(200, [])
    print(f"served  : {len(served):4d}  slowest {max((e for _, e in served), default=0):6.2f}s")
    print(f"refused : {len(refused):4d}  slowest {max((e for _, e in refused), default=0):6.2f}s  "
          f"with Retry-After {sum(r for r, _ in refused)}/{len(refused)}")
    for status in sorted(set(by_status) - {200, 429, 503}):
        label = "hung/transport error" if status == -1 else f"status {status}"
        print(f"other   : {len(by_status[status]):4d}  {label}, slowest {max(e for _, e in by_status[status]):.2f}s")
    slowest = max(elapsed for _, _, elapsed in results)
    print(f"slowest of all: {slowest:.2f}s ({'within' if slowest <= deadline else 'PAST'} the {deadline:g}s deadline)")


if __name__ == "__main__":
    main()
