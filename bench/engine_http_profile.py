"""Where a served request's CPU time goes: per process and per thread, CPU time and time spent waiting for a
core, per generated token, while streamed chat requests run over HTTP.

The engine's decode step is timed in process elsewhere (bench/decode_quality.py, bench/engine_speed.py); over
HTTP the same tokens also cost the Serve proxy, the ingress replica and the LLM replica's event loop, and the
decoding thread may wait for a core they hold. This script reads Linux's own accounting for every thread of
this process's Ray (``/proc/<pid>/task/<tid>/stat`` for CPU time and nice value, ``schedstat`` for time run and
time runnable but waiting) before and after each load level, and prints both per token: the decoding thread is
the LLM replica's thread with the most CPU. Linux only; start it under the Ray lock.

Run: flock /tmp/medici-ray.lock python -m bench.engine_http_profile [--clients 1,16] [--repeats 2]
    [--llm '{"torch_threads": 2}']
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from pathlib import Path

import httpx
import psutil

from bench.serve_harness import running_app
from bench.vs_llamacpp import load_run, plain

ROLES = ("LLMServer", "ProxyActor", "ServeController", "Ingress", "Agent", "Embedder", "DocumentStore",
         "TopicPipeline", "raylet", "gcs_server")
Key = tuple[str, int, str]  # (role, thread id, thread name)


def _role(process: psutil.Process) -> str:
    if process.pid == os.getpid():
        return "bench"
    with contextlib.suppress(psutil.Error):
        line = " ".join(process.cmdline())
        return next((role for role in ROLES if role in line), process.name()[:20])
    return "?"


def snapshot() -> dict[Key, tuple[float, float, float, int]]:
    """(CPU s, run s, wait s, nice) of every thread of this process and its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        role = _role(process)
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{process.pid}/task"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = Path(f"/proc/{process.pid}/task/{tid}/stat").read_text()
                    fields = stat[stat.rindex(")") + 2:].split()
                    run, wait = Path(f"/proc/{process.pid}/task/{tid}/schedstat").read_text().split()[:2]
                    name = stat[stat.index("(") + 1:stat.rindex(")")]
                    found[(role, int(tid), name)] = ((int(fields[11]) + int(fields[12])) / tick, int(run) / 1e9,
                                                     int(wait) / 1e9, int(fields[16]))
    return found


def report(before: dict, after: dict, tokens: int, top: int) -> None:
    """Per token, in ms: each process's CPU, run and wait time, then the busiest threads."""
    threads = [(key, [after[key][i] - before[key][i] for i in range(3)], after[key][3])
               for key in after if key in before]
    roles: dict[str, list[float]] = {}
    for (role, _, _), delta, _ in threads:
        roles[role] = [a + b for a, b in zip(roles.get(role, [0.0, 0.0, 0.0]), delta)]
    per = 1e3 / tokens
    print(f"  {'process':16s} {'cpu':>7s} {'run':>7s} {'wait':>7s}  ms per token")
    for role, (cpu, run, wait) in sorted(roles.items(), key=lambda item: -item[1][1]):
        if run > 0.001:
            print(f"  {role:16s} {cpu * per:7.2f} {run * per:7.2f} {wait * per:7.2f}")
    for (role, _, name), (_, run, wait), nice in sorted(threads, key=lambda item: -item[1][1])[:top]:
        print(f"    thread {role:14s} {name:16s} nice {nice:3d}  run {run * per:6.2f}  wait {wait * per:6.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--requests", type=int, default=8, help="requests per client below 16 clients")
    parser.add_argument("--top", type=int, default=6, help="busiest threads listed per level")
    parser.add_argument("--llm", default="{}", help="JSON: Medici's LLM settings")
    args = parser.parse_args(argv)
    app_args = {"llm": json.loads(args.llm), "llm_runtime": {"max_batch_size": 64, "request_timeout_s": 900}}
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} "
          f"load={os.getloadavg()[0]:.1f} llm={args.llm}", flush=True)
    with running_app(app_args) as url:
        with httpx.Client(base_url=url, timeout=900) as client:
            plain(client, 0, 4)  # warm-up
        for _ in range(args.repeats):
            for clients in [int(c) for c in args.clients.split(",")]:
                requests = args.requests if clients < 16 else 1
                before = snapshot()
                result = load_run(url, clients, args.tokens, requests)
                after = snapshot()
                tokens = clients * requests * args.tokens
                print(f"{clients} clients: {result['tok_s']:.1f} tok/s, p50 {result['p50']:.2f} s, "
                      f"TTFT p50 {result['ttft']:.3f} s, {1e3 / result['tok_s']:.2f} ms per token", flush=True)
                report(before, after, tokens, args.top)


if __name__ == "__main__":
    main()
