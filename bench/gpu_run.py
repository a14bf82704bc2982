"""The one prepared GPU check: CUDA-graph decode against eager decode and transformers' `generate()`, in one
process on the default model in bfloat16, results written as JSON under $OUT as each part finishes.

Parts, in order (each appends to the JSON, so a run cut short still reports what it measured):
1. load (bfloat16 on CUDA; the engine captures graphs per batch-size bucket as steps need them);
2. greedy equality: the fixed prompt set (bench/engine_speed.py's agent and topic prompts, dev and test halves,
   decoded together) through graph replays and through eager steps on the same weights;
3. in-process clients at 1, 16 and 64 (bench/engine_clients.py's `run_clients`, greedy, end-of-sequence
   ignored), with graphs and eagerly, and `generate()` in static batches of the same size;
4. the engine's graph counters (captures, replays, buckets whose capture failed).

Sized to finish in well under 8 minutes on one H100/H200 (a 135M model: loading is seconds, 64 clients x 128
tokens a few seconds with graphs, about 15 eagerly). Run on the lent machine from the repo root, with a
600-second limit that leaves room for a rerun:
  OUT=/some/dir timeout 480 python -m bench.gpu_run [--model SmolLM2-135M-Instruct.Q4_1.gguf] [--clients 1,16,64]
  [--tokens 128] [--per-client 1]
The target (issue 33) is 5,000 tok/s at 64 clients. `--device cpu` smoke-tests the script itself on a CPU,
graphs replaced by `cuda_graphs.eager_stand_in`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from bench.engine_clients import run_clients, run_peer
from bench.engine_speed import QUESTIONS, agreement, quality_prompts
from deployments.llm.jobs import GenerationJob
from deployments.llm.loader import load_engine
from deployments.llm.settings import DEFAULT_MODEL, LLMRuntimeConfig, LLMSettings


class Report:
    """The results so far, rewritten to ``path`` after every part."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict = {}

    def put(self, key: str, value) -> None:
        self.data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2))
        print(f"{key}: {json.dumps(value)}", flush=True)


def greedy(engine, prompts: list[list[int]], tokens: int) -> list[str]:
    jobs = [GenerationJob(p, tokens, temperature=0.0) for p in prompts]
    engine.generate(jobs)
    return [job.text for job in jobs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--per-client", type=int, default=1)
    parser.add_argument("--per-set", type=int, default=6)
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the bundled model, or a path (e.g. its .gguf file)")
    parser.add_argument("--device", default="cuda", help="cpu: a smoke test of this script, graphs by the stand-in")
    args = parser.parse_args(argv)
    report = Report(Path(args.out) / "gpu_run.json")
    levels = [int(c) for c in args.clients.split(",")]
    started = time.perf_counter()
    cuda = args.device == "cuda"
    engine = load_engine(LLMSettings(model=args.model, device=args.device, dtype="bfloat16" if cuda else "auto"))
    engine.reconfigure(LLMRuntimeConfig(max_batch_size=max(levels), max_tokens_in_flight=max(levels) * 1024))
    if not cuda:
        from deployments.llm.cuda_graphs import eager_stand_in

        engine.runner.use_graphs(max(levels), eager_stand_in, pad_token=engine.eos_id)
    graphs = engine.runner.graphs
    report.put("machine", {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "gpu": torch.cuda.get_device_name(0) if cuda else "none (CPU smoke test)",
                           "torch": torch.__version__, "dtype": "bfloat16", "load_s": round(time.perf_counter() - started, 1),
                           "graphs": graphs is not None, "buckets": None if graphs is None else graphs.buckets})

    def eager(on: bool) -> None:
        engine.runner.graphs = None if on else graphs

    # generate() needs transformers' own decoder module (Medici's takes only the engine's calls): a second
    # copy of the weights with llama_decoder off, for the peer alone
    peer = load_engine(LLMSettings(model=args.model, device=args.device, dtype="bfloat16" if cuda else "auto",
                                   llama_decoder=False))
    chats = [engine.chat_prompt([{"role": "user", "content": q}]) for q in QUESTIONS]
    warm = time.perf_counter()
    for n in sorted({1, 2, *levels}):  # capture each bucket the levels use before timing
        run_clients(engine, chats, n, 1, 4)
    run_peer(peer, chats, 2, 1, 4)
    report.put("warm_up_s", round(time.perf_counter() - warm, 1))

    prompts = quality_prompts(engine, args.per_set)
    halves, ids = [h for h, _ in prompts], [p for _, p in prompts]
    with_graphs = greedy(engine, ids, 48)
    eager(True)
    without = greedy(engine, ids, 48)
    eager(False)
    alone = [greedy(engine, [p], 48)[0] for p in ids[:4]]  # one row at a time: the 1-row bucket
    report.put("greedy_equality", {"graphs_vs_eager": agreement(with_graphs, without, halves),
                                   "equal": sum(a == b for a, b in zip(with_graphs, without)), "of": len(ids),
                                   "alone_vs_batched_eager": sum(a == b for a, b in zip(alone, without[:4]))})

    for n in levels:
        row = {"graphs": run_clients(engine, chats, n, args.per_client, args.tokens)}
        eager(True)
        row["eager"] = run_clients(engine, chats, n, args.per_client, args.tokens)
        eager(False)
        row["generate_tok_s"] = run_peer(peer, chats, n, args.per_client, args.tokens)
        row["graphs_vs_eager"] = row["graphs"]["tok_s"] / row["eager"]["tok_s"]
        row["graphs_vs_generate"] = row["graphs"]["tok_s"] / row["generate_tok_s"]
        report.put(f"clients_{n}", row)
    if graphs is not None:
        report.put("graph_counters", {"captures": graphs.captures, "replays": graphs.replays, "failed": sorted(graphs.failed)})
    report.put("total_s", round(time.perf_counter() - started, 1))
    engine.shutdown()
    os._exit(0)  # torch's thread pools may abort interpreter teardown after the figures are out


if __name__ == "__main__":
    main()
