"""Concurrent clients against the engine in-process, on any device, next to transformers' own
static-batch `generate()` on the same weights, in one run.

For 1, 4, 16 and 64 clients, each client sends ``--per-client`` requests one after another (greedy,
``--tokens`` new tokens each, end-of-sequence ignored so every request does the same work). Printed
per level: Medici's tok/s, p50/p95 latency and time to first token, and the peer's tok/s, where the
peer decodes the same requests as padded static batches of that size (what `@serve.batch` around
`generate` did). Then the head-of-line figure (a 2-token request alone and during 8 x 200-token
decodes) and, where the dtype is not float32, greedy agreement with float32 on the agent and topic
evaluation prompts (bench/engine_speed.py's set, both halves).

It needs no Ray and no HTTP, so it runs where only torch and transformers are installed: this is the
script for the GPU machine (`--device cuda --dtype bfloat16`). bench/vs_llamacpp.py is the HTTP
comparison on CPU.

Run: python -m bench.engine_clients [--device cuda] [--dtype bfloat16] [--clients 1,4,16,64]
     [--tokens 128] [--per-client 2] [--model PATH_OR_GGUF]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

from bench import head_of_line
from bench.engine_speed import QUESTIONS, agreement, quality_prompts
from deployments.llm.jobs import GenerationJob
from deployments.llm.loader import load_engine
from deployments.llm.settings import DEFAULT_MODEL, LLMRuntimeConfig, LLMSettings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_clients(engine, prompts: list[list[int]], clients: int, per_client: int, tokens: int) -> dict:
    """Each client thread sends its requests in turn; returns tok/s and latency figures."""
    latencies: list[float] = []
    firsts: list[float] = []
    produced = [0]
    lock = threading.Lock()

    def client(k: int) -> None:
        for r in range(per_client):
            started = time.perf_counter()
            first: list[float] = []
            done = threading.Event()
            job = GenerationJob(prompts[(k * per_client + r) % len(prompts)], tokens, temperature=0.0, ignore_eos=True,
                                emit=lambda _text: first or first.append(time.perf_counter()))
            engine.submit(job, lambda _error: done.set())
            done.wait()
            ended = time.perf_counter()
            with lock:
                latencies.append(ended - started)
                firsts.append((first[0] if first else ended) - started)
                produced[0] += job.completion_tokens

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"tok_s": produced[0] / wall, "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95),
            "ttft50": statistics.median(firsts), "ttft95": percentile(firsts, 0.95)}


def run_peer(engine, prompts: list[list[int]], clients: int, per_client: int, tokens: int) -> float:
    """transformers' `generate()` on the same model: static batches of ``clients`` padded prompts."""
    import torch

    tokenizer, model = engine.tokenizer, engine.model
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    produced, started = 0, time.perf_counter()
    for r in range(per_client):
        batch = [prompts[(k * per_client + r) % len(prompts)] for k in range(clients)]
        width = max(len(p) for p in batch)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in batch], device=engine.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch], device=engine.device)
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=tokens, min_new_tokens=tokens,
                                 do_sample=False, pad_token_id=pad)
        produced += (out.shape[1] - width) * clients
    if engine.device.type == "cuda":
        torch.cuda.synchronize()
    return produced / (time.perf_counter() - started)


def greedy_texts(engine, per_set: int, tokens: int) -> tuple[list[str], list[str]]:
    prompts = quality_prompts(engine, per_set)
    jobs = [GenerationJob(p, tokens, temperature=0.0) for _, p in prompts]
    engine.generate(jobs)
    return [h for h, _ in prompts], [j.text for j in jobs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--per-client", type=int, default=2)
    parser.add_argument("--no-peer", action="store_true", help="skip transformers' generate()")
    parser.add_argument("--per-set", type=int, default=6, help="greedy-agreement prompts per evaluation set and half")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    engine = load_engine(LLMSettings(model=args.model, device=args.device, dtype=args.dtype))
    engine.reconfigure(LLMRuntimeConfig(max_batch_size=max(16, *levels), max_tokens_in_flight=max(16, *levels) * 512))
    dtype = str(next(engine.model.parameters()).dtype).replace("torch.", "")
    name = engine.device.type
    if name == "cuda":
        import torch

        name = torch.cuda.get_device_name(0)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} device={name} dtype={dtype} cpus={os.cpu_count()} "
          f"tokens={args.tokens} per-client={args.per_client}", flush=True)
    prompts = [engine.chat_prompt([{"role": "user", "content": q}]) for q in QUESTIONS]
    run_clients(engine, prompts, 2, 1, 8)  # warm-up
    if not args.no_peer:
        run_peer(engine, prompts, 2, 1, 8)
    print(f"{'clients':>7s} {'tok/s':>8s} {'p50 s':>7s} {'p95 s':>7s} {'ttft p50':>9s} {'ttft p95':>9s}"
          f" {'generate() tok/s':>17s} {'ratio':>6s}", flush=True)
    for clients in levels:
        r = run_clients(engine, prompts, clients, args.per_client, args.tokens)
        peer = None if args.no_peer else run_peer(engine, prompts, clients, args.per_client, args.tokens)
        tail = "" if peer is None else f" {peer:17.1f} {r['tok_s'] / peer:5.2f}x"
        print(f"{clients:7d} {r['tok_s']:8.1f} {r['p50']:7.3f} {r['p95']:7.3f} {r['ttft50']:9.3f} {r['ttft95']:9.3f}{tail}",
              flush=True)
    alone, during, _ = head_of_line.measure(engine, settle_s=0.05)
    print(f"head of line: 2-token request alone {alone:.3f}s, during 8 x 200-token decodes {during:.3f}s "
          f"({during / alone:.1f}x)", flush=True)
    stats = engine.stats()
    print(f"kv cache {stats['kv_cache_bytes'] / 2**20:.0f} MiB at the end; steps {stats['steps']}", flush=True)
    if dtype != "float32" and args.per_set > 0:
        halves, texts = greedy_texts(engine, args.per_set, 48)
        engine.shutdown()
        reference = load_engine(LLMSettings(model=args.model, device=args.device, dtype="float32"))
        _, expected = greedy_texts(reference, args.per_set, 48)
        reference.shutdown()
        print(f"greedy outputs equal to float32 on this device: {agreement(texts, expected, halves)}", flush=True)
    else:
        engine.shutdown()
    os._exit(0)  # torch's thread pools may abort interpreter teardown after the figures are out


if __name__ == "__main__":
    main()
