"""Generated tokens per second through the full HTTP stack: N concurrent clients vs the same N
requests sent one after another, measured in one run against a real local Ray Serve.

Run: .venv/bin/python -m bench.concurrency [--clients 16] [--tokens 64]
Every request generates exactly --tokens tokens (`ignore_eos`), so both runs do the same work.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.serve_harness import running_app


def request_body(i: int, tokens: int) -> dict:
    return {
        "messages": [{"role": "user", "content": f"Tell me story number {i} about a painter."}],
        "max_tokens": tokens,
        "temperature": 0.7,
        "seed": i,
        "ignore_eos": True,
    }


def one(client: httpx.Client, i: int, tokens: int) -> int:
    response = client.post("/v1/chat/completions", json=request_body(i, tokens))
    response.raise_for_status()
    return response.json()["usage"]["completion_tokens"]


def sequential(client: httpx.Client, n: int, tokens: int) -> tuple[int, float]:
    started = time.perf_counter()
    total = sum(one(client, i, tokens) for i in range(n))
    return total, time.perf_counter() - started


def concurrent(client: httpx.Client, n: int, tokens: int) -> tuple[int, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        total = sum(pool.map(lambda i: one(client, i, tokens), range(n)))
    return total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    app_args = {"llm_runtime": {"max_batch_size": args.clients, "request_timeout_s": 600}}
    with running_app(app_args) as url, httpx.Client(base_url=url, timeout=600) as client:
        one(client, 0, 4)  # warm-up
        seq_tokens, seq_s = sequential(client, args.clients, args.tokens)
        con_tokens, con_s = concurrent(client, args.clients, args.tokens)
    seq_rate, con_rate = seq_tokens / seq_s, con_tokens / con_s
    print(f"{args.clients} requests x {args.tokens} tokens, through HTTP")
    print(f"sequential : {seq_tokens} tokens in {seq_s:6.1f}s = {seq_rate:6.1f} tok/s")
    print(f"concurrent : {con_tokens} tokens in {con_s:6.1f}s = {con_rate:6.1f} tok/s")
    print(f"ratio concurrent/sequential = {con_rate / seq_rate:.2f}x")


if __name__ == "__main__":
    main()
