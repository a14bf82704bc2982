"""The decode step's kernel plans compared on one loaded default model in one process: what each writes
(against the first plan given, by default the 4-bit kernel alone) and how long a decode step of 1, 16 and 64 rows takes.

Plans: `int4` (the int4pack kernel at every row count: what a lone request always gets), `bf16` (from
`cpu_kernels.AMX_BF16_ROWS` rows the 4-bit values held dense in bfloat16, AMX tiles, in oneDNN's packed layout,
and the head's approximate logits in bfloat16 from `AMX_HEAD_BF16_ROWS`),
`bf16plain` (the same copies as plain matrices, reordered by oneDNN inside each call, and the int8 head at every
row count: the plan before the packed layout), `int8` (from the
int4_int8_rows setting, calibrated int8 copies of qkv and gate_up, VNNI: the plan before AMX was detected).
For each: greedy agreement with `int4` on the bench's fixed evaluation prompts (agent questions and topic-
labelling prompts, dev and test halves; all decoded together, so every step has many rows), and the
perplexity of held texts read through decode steps of ``--rows`` rows (teacher forcing: each step feeds
the text's next token). Then the step time per plan and row count, plans interleaved round by round (the
machine's load moves all of them alike), as tokens per second of the step alone (no HTTP, no sampling).

Run: .venv/bin/python -m bench.decode_quality [--rows 16] [--tokens 48] [--per-set 6] [--speed-rows 1,16,64]
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch

from bench.engine_speed import ROOT, agreement, quality_prompts


def set_plan(engine, plan: str, settings) -> None:
    """Switch the loaded 4-bit layers to ``plan`` in place."""
    from deployments.llm.cpu_kernels import AMX_BF16_ROWS, AMX_HEAD_BF16_ROWS, enable_bf16
    from deployments.llm.int4 import Int4Linear, prepack_bf16
    from deployments.llm.int8_calibration import enable_int8

    decoder = engine.model.model
    layers = [m for m in decoder.modules() if isinstance(m, Int4Linear)]
    for layer in layers:
        layer.bf16_rows = 0
    if plan in ("bf16", "bf16plain"):
        enable_bf16(decoder, AMX_BF16_ROWS)
        for layer in layers:
            plain = layer.dense.to_dense() if layer.dense.is_mkldnn else layer.dense
            layer.dense = plain if plan == "bf16plain" else prepack_bf16(plain)
    elif plan == "int8" and layers[0].int8_t is None:
        enable_int8(engine, settings.int4_int8_rows, frozenset(settings.int4_int8_layers), settings.int4_int8_smoothing)
    for layer in layers:  # int8 copies are used only where the plan is int8
        if plan != "int8":
            layer.int8_rows = 1 << 30
        elif layer.int8_t is not None:
            layer.int8_rows = settings.int4_int8_rows
    head = engine.model.get_output_embeddings()
    if hasattr(head, "enable_bf16"):  # the bfloat16 head belongs to the bf16 plan only
        head.enable_bf16(AMX_HEAD_BF16_ROWS if plan == "bf16" else 0)
    decoder.reset_decode_step()


def perplexity(engine, texts: list[list[int]]) -> float:
    """exp(mean NLL) of ``texts`` read together through decode steps, each step fed every row's true next token."""
    runner = engine.runner
    width = max(len(t) for t in texts) + 2
    with torch.inference_mode():
        logits, _ = runner.add([t[:1] for t in texts], [width] * len(texts))
        nll, count = 0.0, 0
        for step in range(1, min(len(t) for t in texts)):
            logprobs = torch.log_softmax(logits.float(), -1)
            nll -= float(sum(logprobs[i, t[step]] for i, t in enumerate(texts)))
            count += len(texts)
            logits = runner.decode([t[step] for t in texts])
        while runner.rows:
            runner.remove(runner.rows - 1)
    return math.exp(nll / count)


def step_speed(engine, plans: list[str], settings, sizes: list[int], rounds: int, steps: int) -> None:
    """Median decode-step tokens/s per plan and row count, the plans interleaved within each round."""
    import statistics

    runner = engine.runner
    prompt = engine.chat_prompt([{"role": "user", "content": "Tell me a story about a painter."}])
    for rows in sizes:
        times: dict[str, list[float]] = {plan: [] for plan in plans}
        for _ in range(rounds):
            for plan in plans:
                set_plan(engine, plan, settings)
                with torch.inference_mode():
                    runner.add([prompt] * rows, [len(prompt) + steps + 4] * rows)
                    runner.decode([1] * rows)  # warm-up (and the flat weight lists rebuilt)
                    started = time.perf_counter()
                    for _ in range(steps):
                        runner.decode([1] * rows)
                    times[plan].append((time.perf_counter() - started) / steps)
                    while runner.rows:
                        runner.remove(runner.rows - 1)
        base = statistics.median(times[plans[0]])
        cells = [f"{plan} {rows / statistics.median(t):7.1f} tok/s ({base / statistics.median(t):4.2f}x)" for plan, t in times.items()]
        print(f"decode step, {rows:3d} rows: " + "  ".join(cells), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--text-tokens", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=48, help="greedy tokens per evaluation prompt")
    parser.add_argument("--per-set", type=int, default=6)
    parser.add_argument("--plans", default="int4,bf16,int8")
    parser.add_argument("--speed-rows", default="1,16,64", help="row counts of the step timing ('' for none)")
    parser.add_argument("--speed-rounds", type=int, default=3)
    parser.add_argument("--speed-steps", type=int, default=10)
    args = parser.parse_args(argv)
    from deployments.llm.jobs import GenerationJob
    from deployments.llm.loader import load_engine
    from deployments.llm.settings import LLMRuntimeConfig, LLMSettings

    settings = LLMSettings(torch_threads=1)
    engine = load_engine(settings)
    engine.reconfigure(LLMRuntimeConfig(max_batch_size=64))
    engine.autostart = True
    prompts = quality_prompts(engine, args.per_set)
    docs = [json.loads(line) for line in (ROOT / "data/art_corpus.jsonl").read_text().splitlines() if line.strip()]
    texts, current = [], []
    for doc in docs:  # the corpus's documents, run together into texts of --text-tokens tokens
        current += engine.encode(doc["text"] + "\n")
        if len(current) >= args.text_tokens:
            texts.append(current[: args.text_tokens])
            current = []
    texts = texts[: args.rows]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} {len(prompts)} prompts x {args.tokens} greedy "
          f"tokens decoded together; perplexity over {len(texts)} texts x {args.text_tokens} tokens in steps of "
          f"{len(texts)} rows", flush=True)
    reference = None
    for plan in args.plans.split(","):
        set_plan(engine, plan, settings)
        jobs = [GenerationJob(p, args.tokens, temperature=0.0) for _, p in prompts]
        engine.generate(jobs)
        texts_out = [j.text for j in jobs]
        reference = reference or texts_out
        ppl = perplexity(engine, texts)
        print(f"{plan:9s} perplexity {ppl:8.4f}  greedy = {args.plans.split(',')[0]}: {agreement(texts_out, reference, [h for h, _ in prompts])}",
              flush=True)
    engine.shutdown()
    if args.speed_rows:
        plans = args.plans.split(",")
        step_speed(engine, plans, settings, [int(r) for r in args.speed_rows.split(",")], args.speed_rounds, args.speed_steps)


if __name__ == "__main__":
    main()
