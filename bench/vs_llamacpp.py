"""Medici against the native llama.cpp server, side by side, on the same GGUF, prompts and token counts.

Both servers speak the OpenAI HTTP API, so one client measures both in one run: for 1, 4, 16 and 64
concurrent clients, generated tokens per second, p50/p95 request latency and p50 time to first
token (streamed), the peak resident memory of each server's process after the load levels (Medici:
its LLMServer replica; /proc's VmHWM), then the head-of-line test: a 2-token request alone, and sent while 8 requests
decode 200 tokens each, against llama-server's time for the same (issue 33's target: at most 1.5x).

The first lines name the CPU, its matrix flags (AMX, AVX512-FP16/BF16, VNNI) and how llama-server was built
(with -march=native, or without it where the native build failed or its binary did not start).

The two servers take turns, ``--repeats`` rounds each (the order alternating per round), so a load that moves
during the run moves both; the ratios are of the medians over rounds, with each round's own ratio beside them.
Each server runs only during its own turns: llama-server starts and stops around each (idle, its threads poll
for work and take most of a core), and so do Medici's Ray and Serve (an idle Ray's background processes slow
llama.cpp's threads at their barriers).

Run (the llama-server binary comes from bench/build_llama_server.sh, cached outside the repo):
  .venv/bin/python -m bench.vs_llamacpp [--llama-server PATH] [--clients 1,4,16,64] [--tokens 64] [--repeats 3]
Below 16 clients each level sends at least --min-requests (8) requests in all; from 16 up, one per client.
Every request generates exactly --tokens tokens (`ignore_eos`, which both servers accept).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

import httpx
import psutil

from bench.serve_harness import free_port, running_app, wait_healthy

DEFAULT_BINARY = Path(os.environ.get("MEDICI_CACHE", Path.home() / ".cache" / "medici")) / "llama-server-11434.0.0/bin/llama-server"


def body(i: int, tokens: int, stream: bool) -> dict:
    return {
        "model": None,
        "messages": [{"role": "user", "content": f"Tell me story number {i} about a painter."}],
        "max_tokens": tokens,
        "temperature": 0.7,
        "seed": i,
        "ignore_eos": True,
        "stream": stream,
    }


def timed_stream(client: httpx.Client, i: int, tokens: int) -> tuple[float, float]:
    """(time to first content, total time) of one streamed chat completion; a keep-alive connection
    the server closed just before the request was sent is retried once (no response had started)."""
    try:
        return _timed_stream(client, i, tokens)
    except httpx.RemoteProtocolError:
        return _timed_stream(client, i, tokens)


def _timed_stream(client: httpx.Client, i: int, tokens: int) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    payload = {k: v for k, v in body(i, tokens, True).items() if v is not None}
    with client.stream("POST", "/v1/chat/completions", json=payload) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if first is None and line.startswith("data: ") and line != "data: [DONE]":
                delta = json.loads(line[6:])["choices"]
                if delta and delta[0].get("delta", {}).get("content"):
                    first = time.perf_counter() - started
    total = time.perf_counter() - started
    return (first if first is not None else total), total


def plain(client: httpx.Client, i: int, tokens: int) -> float:
    payload = {k: v for k, v in body(i, tokens, False).items() if v is not None}
    for attempt in (0, 1):  # one retry, as in timed_stream
        started = time.perf_counter()
        try:
            client.post("/v1/chat/completions", json=payload).raise_for_status()
            break
        except httpx.RemoteProtocolError:
            if attempt:
                raise
    return time.perf_counter() - started


def load_run(url: str, clients: int, tokens: int, rounds: int) -> dict:
    """``clients`` concurrent clients, each sending ``rounds`` requests back to back."""
    with httpx.Client(base_url=url, timeout=900) as client:
        def worker(c: int) -> list[tuple[float, float]]:
            return [timed_stream(client, c * rounds + r, tokens) for r in range(rounds)]

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = [x for per in pool.map(worker, range(clients)) for x in per]
        elapsed = time.perf_counter() - started
    latencies = sorted(total for _, total in results)
    return {
        "tok_s": len(results) * tokens / elapsed,
        "p50": statistics.median(latencies),
        "p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "ttft": statistics.median(first for first, _ in results),
    }


def head_of_line(url: str) -> tuple[float, float]:
    """A 2-token request alone, then sent while 8 x 200-token requests decode (seconds each)."""
    with httpx.Client(base_url=url, timeout=900) as client:
        alone = statistics.median(plain(client, 1000 + k, 2) for k in range(3))
        long = [threading.Thread(target=plain, args=(client, 2000 + k, 200)) for k in range(8)]
        for thread in long:
            thread.start()
        time.sleep(2.0)  # the long ones are admitted and decoding
        during = plain(client, 3000, 2)
        for thread in long:
            thread.join()
    return alone, during


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MiB; None where /proc does not say."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def replica_pids(name: str) -> list[int]:
    """This process's own Ray workers running the ``name`` Serve replica (not another Ray's on the machine)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any(name in part for part in child.cmdline()):
                found.append(child.pid)
    return found


def medici_peak_rss() -> float | None:
    peaks = [p for p in (peak_rss_mib(pid) for pid in replica_pids("LLMServer")) if p is not None]
    return max(peaks) if peaks else None


@contextlib.contextmanager
def llama_server(binary: Path, gguf: Path, parallel: int, threads: int) -> Iterator[str]:
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [str(binary), "-m", str(gguf), "--host", "127.0.0.1", "--port", str(port), "-np", str(parallel),
         "-c", str(parallel * 1024), "-t", str(threads)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{url}/health", 120, "llama-server", interval_s=0.5)
        yield url, lambda: peak_rss_mib(proc.pid)
    except BaseException:
        log.seek(0)
        print("llama-server's last log lines:\n" + "".join(log.read().decode(errors="replace").splitlines(True)[-15:]))
        raise
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def rounds_for(clients: int, rounds: int, min_requests: int) -> int:
    """Requests per client at one level: ``rounds`` below 16 clients (one from 16 up), and below 16 at least
    enough for ``min_requests`` in all: one client's two requests last about two seconds, too short a sample
    to compare two servers by."""
    if clients >= 16:
        return 1
    return max(rounds, -(-min_requests // clients))


def measure(name: str, url: str, clients: list[int], tokens: int, rounds: int,
            peak_rss: Callable[[], float | None], hol: bool = True, min_requests: int = 8) -> dict:
    with httpx.Client(base_url=url, timeout=900) as client:
        plain(client, 0, 4)  # warm-up
    rows = {}
    for n in clients:
        rows[n] = load_run(url, n, tokens, rounds_for(n, rounds, min_requests))
        rows[n]["rss"] = peak_rss()
    for n, r in rows.items():
        rss = f"  peak RSS so far {r['rss']:.0f} MiB" if r["rss"] is not None else ""
        print(f"{name:10s} {n:3d} clients: {r['tok_s']:7.1f} tok/s  p50 {r['p50']:6.2f}s  p95 {r['p95']:6.2f}s  "
              f"TTFT p50 {r['ttft']:6.3f}s{rss}", flush=True)
    if not hol:
        return {"rows": rows}
    alone, during = head_of_line(url)
    print(f"{name:10s} 2-token request alone {alone:.3f}s, during 8 x 200-token decodes {during:.3f}s "
          f"({during / alone:.1f}x)", flush=True)
    return {"rows": rows, "alone": alone, "during": during}


def main(argv: list[str] | None = None) -> None:
    from deployments.llm.cpu_kernels import cpu_features
    from deployments.llm.model_source import BUNDLED_GGUF, bundled_gguf_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-server", type=Path, default=DEFAULT_BINARY)
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="requests per client below 16 clients")
    parser.add_argument("--min-requests", type=int, default=8,
                        help="below 16 clients, at least this many requests per level in all")
    parser.add_argument("--parallel", type=int, default=16, help="llama-server -np slots")
    parser.add_argument("--batch", type=int, default=64, help="Medici's max_batch_size")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-medici", action="store_true")
    parser.add_argument("--skip-llama", action="store_true")
    parser.add_argument("--no-head-of-line", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds of the whole measurement per server, the servers taking turns (both stay up)")
    parser.add_argument("--llm", default="{}", help="JSON: Medici's LLM settings (e.g. {\"quantize\": \"int8\"})")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    gguf = bundled_gguf_dir() / BUNDLED_GGUF
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
          f"tokens/request={args.tokens} gguf={gguf.name}", flush=True)
    build = Path(f"{args.llama_server}.build")  # bench/build_llama_server.sh says how it built the binary
    print(f"cpu: {cpu_features().describe()}; llama-server built "
          f"{build.read_text().strip() if build.exists() else 'as found (no .build note beside it)'}", flush=True)
    hol = not args.no_head_of_line
    app_args = {"llm": json.loads(args.llm), "llm_runtime": {"max_batch_size": args.batch, "request_timeout_s": 900}}
    runs: dict[str, list[dict]] = {"llama": [], "medici": []}
    # each server runs only during its own turn: an idle llama-server's threads poll for work (most of a
    # core), and an idle Ray's background processes take the CPU time llama.cpp's threads need at barriers
    keys = [key for key, skip in (("llama", args.skip_llama), ("medici", args.skip_medici)) if not skip]
    for turn in range(args.repeats):
        for key in keys if turn % 2 == 0 else keys[::-1]:  # the order alternates: neither always goes first
            print(f"-- round {turn + 1}/{args.repeats}: {key} (load {os.getloadavg()[0]:.1f})", flush=True)
            if key == "llama":
                with llama_server(args.llama_server, gguf, args.parallel, args.threads) as (url, rss):
                    runs[key].append(measure(f"llama -np{args.parallel}", url, clients, args.tokens, args.rounds,
                                             rss, hol, args.min_requests))
            else:
                with running_app(app_args) as url:
                    runs[key].append(measure("medici", url, clients, args.tokens, args.rounds, medici_peak_rss,
                                             hol, args.min_requests))
    if runs["llama"] and runs["medici"]:
        report(runs["medici"], runs["llama"], clients)


def report(medici: list[dict], llama: list[dict], clients: list[int]) -> None:
    """Each round's ratio (the two servers measured minutes apart) and the ratio of the medians over rounds."""
    for n in clients:
        ratios = [m["rows"][n]["tok_s"] / l["rows"][n]["tok_s"] for m, l in zip(medici, llama)]
        med_m = statistics.median(m["rows"][n]["tok_s"] for m in medici)
        med_l = statistics.median(l["rows"][n]["tok_s"] for l in llama)
        print(f"ratio medici/llama at {n:3d} clients: {med_m / med_l:.2f}x tok/s (medians {med_m:.1f} / {med_l:.1f}; "
              f"per round {', '.join(f'{r:.2f}x' for r in ratios)})")
    if all("during" in r for r in medici + llama):
        per_round = ", ".join(f"{m['during'] / l['during']:.2f}x" for m, l in zip(medici, llama))
        during_m = statistics.median(r["during"] for r in medici)
        during_l = statistics.median(r["during"] for r in llama)
        print(f"2-token request during 8 long decodes: medici {during_m:.3f}s / llama {during_l:.3f}s "
              f"= {during_m / during_l:.2f}x (medians; per round {per_round})")

if __name__ == "__main__":
    main()
