"""Which batching engine is faster on this machine: our `serve.batch` + `generate` engine or
transformers' continuous-batching manager (`generate_batch`), on the same model and prompts.

Run: .venv/bin/python -m bench.batching [--requests 16] [--tokens 64]
Prints generated tokens per second for one stream and for N requests through each engine, and the
ratios, all measured in this one run.
"""

from __future__ import annotations

import argparse
import time

import torch

from deployments.llm.jobs import GenerationJob
from deployments.llm.loader import load_engine
from deployments.llm.settings import LLMSettings

TOPICS = "cat dog bird fish horse cow sheep goat lion tiger bear wolf fox deer owl frog".split()


def prompts(engine, n: int) -> list[list[int]]:
    words = (TOPICS * (n // len(TOPICS) + 1))[:n]
    return [engine.chat_prompt([{"role": "user", "content": f"Write a story about a {w}."}]) for w in words]


def ours(engine, batch: list[list[int]], tokens: int) -> float:
    jobs = [GenerationJob(p, tokens, temperature=0.0, ignore_eos=True) for p in batch]
    started = time.perf_counter()
    engine.generate(jobs)
    return sum(j.completion_tokens for j in jobs) / (time.perf_counter() - started)


def transformers_cb(engine, batch: list[list[int]], tokens: int) -> float:
    from transformers import GenerationConfig

    config = GenerationConfig(max_new_tokens=tokens, do_sample=False, eos_token_id=-1, pad_token_id=engine.pad_id)
    started = time.perf_counter()
    results = engine.model.generate_batch(batch, generation_config=config, max_new_tokens=tokens)
    elapsed = time.perf_counter() - started
    engine.model.set_attn_implementation("sdpa")  # the manager switched it; restore for our engine
    return sum(len(r.generated_tokens) for r in results.values()) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    engine = load_engine(LLMSettings())
    batch = prompts(engine, args.requests)
    ours(engine, batch[:2], 4)  # warm-up
    single = ours(engine, batch[:1], args.tokens)
    static = ours(engine, batch, args.tokens)
    cb = transformers_cb(engine, batch, args.tokens)
    print(f"threads={torch.get_num_threads()} requests={args.requests} tokens/request={args.tokens}")
    print(f"one stream (generate)                 {single:7.1f} tok/s")
    print(f"serve.batch engine, {args.requests} together       {static:7.1f} tok/s  ({static / single:.2f}x one stream)")
    print(f"transformers continuous batching     {cb:7.1f} tok/s  ({cb / single:.2f}x one stream)")
    print(f"faster: {'serve.batch engine' if static >= cb else 'transformers CB'} ({max(static, cb) / min(static, cb):.2f}x)")


if __name__ == "__main__":
    main()
