"""Head-of-line blocking in the engine itself (no HTTP): a 2-token request alone, and sent while
8 requests decode 200 tokens each; prints both times and their ratio, from one run.

Run: .venv/bin/python -m bench.head_of_line [--long 8] [--long-tokens 200]
bench/vs_llamacpp.py measures the same through HTTP, side by side with llama-server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

from deployments.llm.jobs import GenerationJob
from deployments.llm.loader import load_engine
from deployments.llm.settings import LLMSettings


def timed(engine, prompt: list[int], tokens: int) -> float:
    started = time.perf_counter()
    engine.generate([GenerationJob(prompt, tokens, temperature=0.0, ignore_eos=True)])
    return time.perf_counter() - started


def measure(engine, long: int = 8, long_tokens: int = 200, settle_s: float = 1.0) -> tuple[float, float, float]:
    """(a 2-token request alone, median of 3; the same sent ``settle_s`` after ``long`` requests of
    ``long_tokens`` tokens started decoding; the long requests' wall time)."""
    short = engine.chat_prompt([{"role": "user", "content": "Answer yes or no: is water wet?"}])
    timed(engine, short, 2)  # warm-up
    alone = statistics.median(timed(engine, short, 2) for _ in range(3))
    long_prompts = [engine.chat_prompt([{"role": "user", "content": f"Tell story {i} about a painter."}])
                    for i in range(long)]
    jobs = [GenerationJob(p, long_tokens, temperature=0.0, ignore_eos=True) for p in long_prompts]
    runner = threading.Thread(target=engine.generate, args=(jobs,))
    started = time.perf_counter()
    runner.start()
    while not engine.running:
        time.sleep(0.001)
    time.sleep(settle_s)  # the long requests are decoding
    during = timed(engine, short, 2)
    runner.join()
    return alone, during, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=int, default=8)
    parser.add_argument("--long-tokens", type=int, default=200)
    parser.add_argument("--dtype", default="auto")
    args = parser.parse_args(argv)
    engine = load_engine(LLMSettings(dtype=args.dtype))
    alone, during, total = measure(engine, args.long, args.long_tokens)
    print(f"2-token request alone {alone:.3f}s; during {args.long} x {args.long_tokens}-token decodes {during:.3f}s "
          f"({during / alone:.1f}x)", flush=True)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    print(f"the {args.long} long requests took {total:.1f}s ({args.long * args.long_tokens / total:.1f} tok/s)")
    engine.shutdown()
    if engine._thread is not None:  # a decode thread still in torch at interpreter exit aborts the process
        engine._thread.join(10)


if __name__ == "__main__":
    main()
