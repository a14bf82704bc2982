"""One LLMServer replica's capacity, for sizing a cluster: throughput (tokens and requests per second)
and latency (time to first token, p50/p95 of the whole request) by concurrency, through the full
HTTP stack of a real local Ray Serve; then the replica start-up time an autoscaler waits for.

Per level, ``c`` clients each send ``--per-client`` streamed completions one after another, every one
``--tokens`` tokens long (end-of-sequence ignored, so every request does the same work). The start-up
time is measured by deploying one more LLMServer as its own application and timing it from
`serve.run` until Serve reports it RUNNING (actor start, model load, first health check), while the
first replica sits idle, ``--startups`` times.

With `--in-process` the same levels run against the replica's engine in this process (no Ray, no
HTTP: bench/engine_clients.py's clients) and the start-up time is the model load alone (`load_engine`),
for a machine or a moment where a Ray cluster cannot be started.

The last line is the profile bench/traffic_sim.py takes (`--profile`, requests per second by
concurrency) and the median start-up time (`--startup-s`).

Run: python -m bench.capacity [--levels 1,2,4,8,16,32] [--tokens 128] [--per-client 2] [--startups 2]
     [--in-process]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.serve_harness import running_app


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_stream(client: httpx.Client, seed: int, tokens: int) -> tuple[float, float, int]:
    """(time to first token, latency, completion tokens) of one streamed completion."""
    body = {"prompt": f"Write note {seed} about the quarterly plan.", "max_tokens": tokens, "temperature": 0.7,
            "seed": seed, "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}}
    started = time.perf_counter()
    first, produced = None, 0
    with client.stream("POST", "/v1/completions", json=body) as reply:
        reply.raise_for_status()
        for line in reply.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if first is None and any(c.get("text") for c in chunk.get("choices") or []):
                first = time.perf_counter()
            if chunk.get("usage"):
                produced = chunk["usage"]["completion_tokens"]
    ended = time.perf_counter()
    if produced != tokens:
        raise RuntimeError(f"asked for {tokens} tokens, the stream reported {produced}")
    return (first or ended) - started, ended - started, produced


def level(client: httpx.Client, clients: int, per_client: int, tokens: int) -> dict:
    """``clients`` concurrent clients, each sending ``per_client`` requests in turn."""
    def run(k: int) -> list[tuple[float, float, int]]:
        return [one_stream(client, 1000 * clients + k * per_client + r, tokens) for r in range(per_client)]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for batch in pool.map(run, range(clients)) for r in batch]
    wall = time.perf_counter() - started
    ttft, latency = [r[0] for r in results], [r[1] for r in results]
    return {"clients": clients, "requests": len(results), "tok_s": sum(r[2] for r in results) / wall,
            "req_s": len(results) / wall, "ttft_p50": statistics.median(ttft), "ttft_p95": percentile(ttft, 0.95),
            "p50": statistics.median(latency), "p95": percentile(latency, 0.95)}


def startup_seconds(app_args: dict, attempt: int) -> float:
    """Seconds from `serve.run` of a lone LLMServer application until Serve reports it RUNNING."""
    from ray import serve

    from deployments.builder import DEFAULT_OPTIONS
    from deployments.llm.server import LLMServer
    from deployments.llm.settings import LLMRuntimeConfig, LLMSettings

    name = f"startup-probe-{attempt}"
    options = {**DEFAULT_OPTIONS["LLMServer"], "name": "LLMServer",
               "user_config": LLMRuntimeConfig.model_validate(app_args.get("llm_runtime", {})).model_dump()}
    app = serve.deployment(LLMServer, **options).bind(LLMSettings.model_validate(app_args.get("llm", {})).model_dump())
    started = time.perf_counter()
    serve.run(app, name=name, route_prefix=f"/{name}", blocking=False)
    while serve.status().applications[name].status != "RUNNING":
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    serve.delete(name)
    return elapsed


def in_process(llm: dict, levels: list[int], tokens: int, per_client: int, startups: int
               ) -> tuple[list[dict], list[float]]:
    """The levels against the engine in this process; the start-up time is the model load."""
    from bench.engine_clients import run_clients
    from bench.engine_speed import QUESTIONS
    from deployments.llm.loader import load_engine
    from deployments.llm.settings import LLMRuntimeConfig, LLMSettings

    loads = []
    for _ in range(startups):
        started = time.perf_counter()
        engine = load_engine(LLMSettings.model_validate(llm))
        loads.append(time.perf_counter() - started)
        engine.shutdown()
    engine = load_engine(LLMSettings.model_validate(llm))
    engine.reconfigure(LLMRuntimeConfig(max_batch_size=max(16, *levels), max_tokens_in_flight=max(16, *levels) * 512))
    prompts = [engine.chat_prompt([{"role": "user", "content": q}]) for q in QUESTIONS]
    run_clients(engine, prompts, 2, 1, 8)  # warm-up
    rows = []
    for clients in levels:
        r = run_clients(engine, prompts, clients, per_client, tokens)
        rows.append({"clients": clients, "requests": clients * per_client, "tok_s": r["tok_s"],
                     "req_s": r["tok_s"] / tokens, "ttft_p50": r["ttft50"], "ttft_p95": r["ttft95"],
                     "p50": r["p50"], "p95": r["p95"]})
    engine.shutdown()
    return rows, loads


def print_row(row: dict) -> None:
    print(f"{row['clients']:7d} {row['req_s']:7.3f} {row['tok_s']:7.1f} {row['ttft_p50']:9.3f} {row['ttft_p95']:9.3f}"
          f" {row['p50']:7.2f} {row['p95']:7.2f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,2,4,8,16,32")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--per-client", type=int, default=2)
    parser.add_argument("--startups", type=int, default=2)
    parser.add_argument("--llm", default="{}", help="JSON of LLMSettings for the replica (default: the app's)")
    parser.add_argument("--in-process", action="store_true", help="the engine in this process: no Ray, no HTTP")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.levels.split(",")]
    app_args = {"llm": json.loads(args.llm),
                "llm_runtime": {"max_batch_size": max(16, *levels), "request_timeout_s": 900},
                "documents": {"corpus_uri": None},
                "options": {"LLMServer": {"max_ongoing_requests": max(levels)}}}
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
          f"tokens={args.tokens} per-client={args.per_client} llm={args.llm}", flush=True)
    header = (f"{'clients':>7s} {'req/s':>7s} {'tok/s':>7s} {'ttft p50':>9s} {'ttft p95':>9s} {'p50 s':>7s} "
              f"{'p95 s':>7s}")
    if args.in_process:
        rows, startups = in_process(app_args["llm"], levels, args.tokens, args.per_client, args.startups)
        print(header, flush=True)
        for row in rows:
            print_row(row)
        print("model load (load_engine, in process): " + ", ".join(f"{s:.1f} s" for s in startups), flush=True)
    else:
        rows = []
        with running_app(app_args) as url, httpx.Client(base_url=url, timeout=900) as client:
            level(client, 2, 1, 8)  # warm-up
            print(header, flush=True)
            for clients in levels:
                rows.append(level(client, clients, args.per_client, args.tokens))
                print_row(rows[-1])
            startups = [startup_seconds(app_args, k) for k in range(args.startups)]
            print("replica start-up (serve.run to RUNNING, idle cluster): "
                  + ", ".join(f"{s:.1f} s" for s in startups), flush=True)
    profile = ",".join(f"{r['clients']}:{r['req_s']:.4g}" for r in rows)
    print(f"traffic_sim inputs: --profile {profile} --startup-s {statistics.median(startups):.0f}", flush=True)
    os._exit(0)  # torch's thread pools may abort interpreter teardown after the figures are out


if __name__ == "__main__":
    main()
