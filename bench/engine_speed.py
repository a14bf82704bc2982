"""CPU speed choices for the engine, and whether they change greedy outputs, in one run (one table).

Each variant runs in its own process (torch's inter-op threads can be set once per process), on the
default model, through the continuous-batching engine: one stream's tok/s, N streams decoded together,
and greedy agreement with the float32 variant (the first one) on a fixed set of prompts drawn from
the evaluation sets: agent questions (`data/agent_sets/company_qa.jsonl`, its `dev` and `test`
halves) and topic-labelling prompts (the default few-shot prompt on `data/art_corpus.jsonl`, even
lines `dev`, odd lines `test`). It counts equal outputs per half and gives the first differing
character of each output that differs.

A variant is a `+`-joined list: a dtype (`fp32`, `bf16`), `int8` (dynamic int8 Linear layers),
`int4` (4-bit weight-only Linear layers), `int8head`/`int4head` (the output head as int8 too, its best
`kN` tokens per row rescored in float32; `k0`: int8 logits only), `tN` (N torch threads), `iN` (N inter-op
threads), `hf` (transformers' own forward instead of Medici's Llama decoder), `python`/`layers` (its
decode step as one Python function / layer by layer instead of one TorchScript function), `denseN` (with
int4: inputs of N rows or more through the layers' dense bfloat16 copy; `dense0`: none), `a8N` (with int4:
decode steps of N rows or more through calibrated int8 copies, `llm.int4_int8_rows`), `a8=qkv/gate_up` (the
projections they apply to), `smX` (their smoothing exponent), `noamx` (the kernels chosen as on the same CPU
without AMX tiles: the int8 VNNI copies) and `novnni` (as without AMX and VNNI: the 4-bit kernel alone), `compile`
(torch.compile of the decoder, inductor, dynamic shapes; its compile time is reported apart).

Run: .venv/bin/python -m bench.engine_speed [--variants fp32+t2,bf16+t2,int8+t2] [--requests 8] [--tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VARIANTS = "fp32+t2,fp32+t1,fp32+t2+i1,bf16+t2,int8+t2,int8+t1,int8head+t2"
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


def parse_variant(spec: str) -> dict:
    """``bf16+int8+t1`` -> the settings and bench options it names."""
    out = {"dtype": "float32", "quantize": "none", "quantize_lm_head": False, "exact_top_k": 64, "llama_decoder": True, "decode_step": "script", "dense_rows": None, "threads": None,
           "interop": None, "compile": False, "int8_rows": None, "int8_layers": None, "smoothing": None,
           "cpu": None}
    for part in spec.split("+"):
        if part in ("fp32", "bf16"):
            out["dtype"] = {"fp32": "float32", "bf16": "bfloat16"}[part]
        elif part in ("int8", "int8head", "int4", "int4head"):
            out["quantize"], out["quantize_lm_head"] = part[:4], part.endswith("head")
        elif part == "hf":
            out["llama_decoder"] = False
        elif part in ("python", "layers"):
            out["decode_step"] = part
        elif part.startswith("dense") and part[5:].isdigit():
            out["dense_rows"] = int(part[5:])
        elif part.startswith("a8") and part[2:].isdigit():
            out["int8_rows"] = int(part[2:])
        elif part.startswith("sm") and part[2:].replace(".", "", 1).isdigit():
            out["smoothing"] = float(part[2:])
        elif part.startswith("a8="):
            out["int8_layers"] = part[3:].split("/")
        elif part == "compile":
            out["compile"] = True
        elif part in ("noamx", "novnni"):
            out["cpu"] = part
        elif part[:1] in "tik" and part[1:].isdigit():
            out[{"t": "threads", "i": "interop", "k": "exact_top_k"}[part[0]]] = int(part[1:])
        else:
            raise ValueError(f"unknown variant part {part!r} in {spec!r}")
    return out


def quality_prompts(engine, per_set: int) -> list[tuple[str, list[int]]]:
    """(half, prompt ids): agent questions as chat turns and topic-labelling completion prompts."""
    from deployments.topics.labeling import build_prompt

    out: list[tuple[str, list[int]]] = []
    qa = [json.loads(line) for line in (ROOT / "data/agent_sets/company_qa.jsonl").read_text().splitlines() if line.strip()]
    for half in ("dev", "test"):
        for item in [q for q in qa if q.get("split") == half][:per_set]:
            out.append((half, engine.chat_prompt([{"role": "user", "content": item["question"]}])))
    docs = [json.loads(line) for line in (ROOT / "data/art_corpus.jsonl").read_text().splitlines() if line.strip()]
    for half, start in (("dev", 0), ("test", 1)):
        for doc in docs[start::2][:per_set]:
            out.append((half, engine.encode(build_prompt(doc["text"], 5))))
    return out


def run_variant(spec: str, requests: int, tokens: int, quality_tokens: int, per_set: int) -> dict:
    """Load the engine as ``spec`` says and measure it (in this process)."""
    import torch

    from deployments.llm.jobs import GenerationJob
    from deployments.llm.loader import load_engine
    from deployments.llm.settings import LLMRuntimeConfig, LLMSettings

    v = parse_variant(spec)
    settings = LLMSettings(dtype=v["dtype"], torch_threads=v["threads"], torch_interop_threads=v["interop"],
                           quantize=v["quantize"], quantize_lm_head=v["quantize_lm_head"],
                           lm_head_exact_top_k=v["exact_top_k"], llama_decoder=v["llama_decoder"], decode_step=v["decode_step"],
                           **({} if v["dense_rows"] is None else {"int4_dense_rows": v["dense_rows"]}),
                           **({} if v["int8_rows"] is None else {"int4_int8_rows": v["int8_rows"]}),
                           **({} if v["int8_layers"] is None else {"int4_int8_layers": v["int8_layers"]}),
                           **({} if v["smoothing"] is None else {"int4_int8_smoothing": v["smoothing"]}))
    features = None
    if v["cpu"]:
        from dataclasses import replace

        from deployments.llm.cpu_kernels import cpu_features

        features = replace(cpu_features(), amx_bf16=False, amx_tile=False)
        if v["cpu"] == "novnni":
            features = replace(features, vnni=False, amx_int8=False)
    engine = load_engine(settings, features=features)
    engine.reconfigure(LLMRuntimeConfig(max_batch_size=max(16, requests)))
    compile_s = None
    if v["compile"]:
        engine.runner._decoder = torch.compile(engine.model.model, dynamic=True)

    def rate(batch: list[list[int]], n_tokens: int) -> float:
        jobs = [GenerationJob(p, n_tokens, temperature=0.0, ignore_eos=True) for p in batch]
        started = time.perf_counter()
        engine.generate(jobs)
        return sum(j.completion_tokens for j in jobs) / (time.perf_counter() - started)

    chats = [engine.chat_prompt([{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]) for i in range(requests)]
    started = time.perf_counter()
    rate(chats[:2], 4)  # warm-up (and, with compile, the first compilations)
    if v["compile"]:
        rate(chats[:1], 8)
        rate(chats, 8)
        compile_s = time.perf_counter() - started
    one = rate(chats[:1], tokens)
    many = rate(chats, tokens)
    prompts = quality_prompts(engine, per_set)
    jobs = [GenerationJob(p, quality_tokens, temperature=0.0) for _, p in prompts]
    engine.generate(jobs)
    engine.shutdown()
    if engine._thread is not None:
        engine._thread.join(10)
    return {"spec": spec, "threads": torch.get_num_threads(), "interop": torch.get_num_interop_threads(),
            "one": one, "many": many, "compile_s": compile_s, "halves": [h for h, _ in prompts],
            "texts": [j.text for j in jobs]}


def first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def agreement(texts: list[str], reference: list[str], halves: list[str]) -> str:
    parts = []
    for half in ("dev", "test"):
        pairs = [(a, b) for a, b, h in zip(texts, reference, halves) if h == half]
        same = sum(a == b for a, b in pairs)
        diffs = [first_difference(a, b) for a, b in pairs if a != b]
        parts.append(f"{half} {same}/{len(pairs)}" + (f" (first diff at {diffs})" if diffs else ""))
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help="comma-separated; the first is the reference")
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--quality-tokens", type=int, default=48)
    parser.add_argument("--per-set", type=int, default=6, help="prompts per evaluation set and half")
    parser.add_argument("--variant-timeout", type=int, default=240, help="seconds one variant may take")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one variant, print JSON
    args = parser.parse_args(argv)
    if args.one:
        result = run_variant(args.one, args.requests, args.tokens, args.quality_tokens, args.per_set)
        print("RESULT " + json.dumps(result), flush=True)
        os._exit(0)  # skip interpreter teardown: torch's thread pools may abort it after the result is out
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} requests={args.requests} "
          f"tokens={args.tokens} quality: {args.quality_tokens} greedy tokens, {args.per_set} prompts per set and half, "
          f"load={os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'variant':22s} {'thr':>3s} {'iop':>3s} {'1 stream':>9s} {f'{args.requests} together':>12s}  greedy = first variant",
          flush=True)
    reference = None
    for spec in args.variants.split(","):
        cmd = [sys.executable, "-m", "bench.engine_speed", "--one", spec, "--requests", str(args.requests),
               "--tokens", str(args.tokens), "--quality-tokens", str(args.quality_tokens), "--per-set", str(args.per_set)]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.variant_timeout)
        except subprocess.TimeoutExpired:
            print(f"{spec:22s} gave no result within {args.variant_timeout} s", flush=True)
            continue
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            print(f"{spec:22s} failed: {tail[0][:160]}", flush=True)
            continue
        r = json.loads(lines[0][7:])
        reference = reference or r
        quality = agreement(r["texts"], reference["texts"], r["halves"])
        compiled = f" (compile + warm-up {r['compile_s']:.0f} s)" if r["compile_s"] else ""
        print(f"{spec:22s} {r['threads']:3d} {r['interop']:3d} {r['one']:7.1f}/s {r['many']:10.1f}/s  {quality}{compiled}",
              flush=True)


if __name__ == "__main__":
    main()
