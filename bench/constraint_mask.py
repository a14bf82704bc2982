"""What a grammar constraint costs per generated token: llguidance masks at batch 16, on this CPU.

Run: .venv/bin/python -m bench.constraint_mask [--batch 16] [--steps 50] [--threads 1] [--kind json|regex|choice|grammar]
Loads only the default model's tokenizer (no weights), feeds random logits through the per-row rules
(`rows.pick_tokens` + `rows.advance_rows`) with and without a constraint on every row, and prints
microseconds per token for each and their difference (the constraint's cost), plus the mask step alone.
All figures come from this one run.
"""

from __future__ import annotations

import argparse
import time

import torch

from deployments.llm.guided import Constraint, ConstraintSpec, batch_masks, tokenizer_for
from deployments.llm.jobs import GenerationJob
from deployments.llm.rows import Row, advance_rows, pick_tokens

SPECS = {
    "json": ConstraintSpec("json", {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"},
                       "tags": {"type": "array", "items": {"enum": ["red", "green", "blue"]}, "maxItems": 3}},
        "required": ["name", "age", "tags"], "additionalProperties": False}),
    "regex": ConstraintSpec("regex", r"[A-Z][a-z]{2,12}( [A-Z][a-z]{2,12}){0,3}, [0-9]{1,4}"),
    "choice": ConstraintSpec("choice", [" search", " lookup", " calculator", " Final Answer"]),
    # a Lark grammar in llguidance's dialect: a small arithmetic language, recursive
    "grammar": ConstraintSpec("grammar", "\n".join([
        "start: expr",
        "expr: term ((\"+\" | \"-\") term)*",
        "term: factor ((\"*\" | \"/\") factor)*",
        "factor: NUMBER | \"(\" expr \")\"",
        "NUMBER: /[0-9]{1,6}/",
    ])),
}


def _tokenizer():
    from transformers import AutoTokenizer

    from deployments.llm.model_source import resolve
    from deployments.llm.settings import LLMSettings

    source = resolve(LLMSettings().model, False)
    return AutoTokenizer.from_pretrained(source.path, gguf_file=source.gguf_file, local_files_only=True)


def _run(hf, spec: ConstraintSpec | None, batch: int, steps: int) -> tuple[float, int]:
    """Seconds and tokens for ``steps`` decode steps of ``batch`` rows; a finished row restarts."""
    ll = tokenizer_for(hf)
    vocab = ll.vocab_size
    eos = [hf.eos_token_id]
    decode = lambda tokens: hf.decode(tokens, skip_special_tokens=True)  # noqa: E731

    def row(i: int) -> Row:
        job = GenerationJob([1], 10_000, temperature=1.0, seed=i,
                            constraint=Constraint(spec, ll) if spec is not None else None)
        return Row(job, hf.encode, torch.device("cpu"))

    rows = [row(i) for i in range(batch)]
    gen = torch.Generator().manual_seed(0)
    logits = [torch.randn(batch, vocab, generator=gen) * 3 for _ in range(8)]
    elapsed, tokens = 0.0, 0
    for step in range(steps):
        started = time.perf_counter()
        picked = pick_tokens(rows, logits[step % 8], eos)
        advance_rows(rows, picked, set(eos), decode)
        elapsed += time.perf_counter() - started
        tokens += sum(1 for r in rows if not r.done or r.job.completion_tokens)
        rows = [row(step * batch + i) if r.done else r for i, r in enumerate(rows)]
    return elapsed, tokens


def _mask_only(hf, spec: ConstraintSpec, batch: int, steps: int) -> float:
    ll = tokenizer_for(hf)
    constraints = [Constraint(spec, ll) for _ in range(batch)]
    started = time.perf_counter()
    for _ in range(steps):
        batch_masks(constraints)
    return (time.perf_counter() - started) / (steps * batch) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--kind", choices=sorted(SPECS), nargs="*", default=sorted(SPECS))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the mask has its own pool)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hf = _tokenizer()
    tokenizer_for(hf)  # built once (about a second), outside the timings
    free_s, free_n = _run(hf, None, args.batch, args.steps)
    free_us = free_s / free_n * 1e6
    print(f"batch {args.batch}, {args.steps} steps, vocabulary {tokenizer_for(hf).vocab_size}")
    print(f"unconstrained rules: {free_us:8.1f} us/token")
    for kind in args.kind:
        s, n = _run(hf, SPECS[kind], args.batch, args.steps)
        us = s / n * 1e6
        print(f"{kind:>6} constrained: {us:8.1f} us/token  (constraint cost {us - free_us:7.1f} us/token, "
              f"{us / free_us:.2f}x; mask alone {_mask_only(hf, SPECS[kind], args.batch, 50):6.1f} us/token)")


if __name__ == "__main__":
    main()
