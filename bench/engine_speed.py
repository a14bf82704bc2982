"""CPU speed choices for the engine, and whether they change greedy outputs, in one run.

For each dtype asked (float32, bfloat16), on the default model: one stream's tok/s, N streams
decoded together through the continuous-batching engine, and greedy agreement with transformers'
own `generate` in float32 on the same prompts (exact text match, and the first differing character
where they differ).

Run: .venv/bin/python -m bench.engine_speed [--dtypes float32,bfloat16] [--requests 8] [--tokens 64]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from deployments.llm.jobs import GenerationJob
from deployments.llm.loader import load_engine
from deployments.llm.settings import LLMSettings

QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "List three uses of copper.",
    "Explain photosynthesis in one sentence.",
    "Who wrote Hamlet?",
    "Give me a tip for learning to cook.",
    "What does a compiler do?",
    "Name a planet with rings.",
]


def prompts(engine, n: int) -> list[list[int]]:
    return [engine.chat_prompt([{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]) for i in range(n)]


def rate(engine, batch: list[list[int]], tokens: int) -> float:
    jobs = [GenerationJob(p, tokens, temperature=0.0, ignore_eos=True) for p in batch]
    started = time.perf_counter()
    engine.generate(jobs)
    return sum(j.completion_tokens for j in jobs) / (time.perf_counter() - started)


def greedy_texts(engine, batch: list[list[int]], tokens: int) -> list[str]:
    jobs = [GenerationJob(p, tokens, temperature=0.0) for p in batch]
    engine.generate(jobs)
    return [j.text for j in jobs]


def reference_texts(engine, batch: list[list[int]], tokens: int) -> list[str]:
    """transformers' `generate`, greedy, one prompt at a time, in the engine's model."""
    texts = []
    for prompt in batch:
        ids = torch.tensor([prompt])
        out = engine.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens, do_sample=False,
                                    pad_token_id=engine.eos_id)
        texts.append(engine.decode(out[0, len(prompt):].tolist()))
    return texts


def first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    reference: list[str] | None = None
    print(f"cpus={os.cpu_count()} requests={args.requests} tokens={args.tokens} load={os.getloadavg()[0]:.1f}")
    for dtype in args.dtypes.split(","):
        engine = load_engine(LLMSettings(dtype=dtype, torch_threads=args.threads))
        batch = prompts(engine, args.requests)
        if reference is None:
            reference = reference_texts(engine, batch[: len(QUESTIONS)], args.tokens)
        rate(engine, batch[:2], 4)  # warm-up
        one = rate(engine, batch[:1], args.tokens)
        many = rate(engine, batch, args.tokens)
        ours = greedy_texts(engine, batch[: len(QUESTIONS)], args.tokens)
        same = sum(a == b for a, b in zip(ours, reference))
        diffs = [first_difference(a, b) for a, b in zip(ours, reference) if a != b]
        print(f"{dtype:9s} threads={torch.get_num_threads()} one stream {one:6.1f} tok/s | {args.requests} together "
              f"{many:6.1f} tok/s ({many / one:.2f}x) | greedy = float32 generate: {same}/{len(reference)}"
              + (f" (first differing char at {diffs})" if diffs else ""))
        engine.shutdown()


if __name__ == "__main__":
    main()
