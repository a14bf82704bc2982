"""How much of a GPU decode step is kernel launching: one token per row through the default model's
architecture, eager against a CUDA graph replay of the same forward, in one run.

The weights are random with SmolLM2-135M's shape (speed does not depend on their values), the forward
takes one new token per row with no KV cache (attention over a short past is a small share of a step),
and the figures are the mean of timed repetitions after a warm-up, with `torch.cuda.synchronize()`
around them. Also printed: the time of one tiny kernel (an add on 16 numbers), launched back to back.
GPU only; on a machine without CUDA it says so and exits.

Run: python -m bench.step_overhead [--rows 1,16,64] [--repeats 50]
"""

from __future__ import annotations

import argparse
import time


def timed(fn, repeats: int) -> float:
    import torch

    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(repeats):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - started) / repeats * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1,16,64")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return
    config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, tie_word_embeddings=True)
    model = LlamaForCausalLM(config).to("cuda", torch.bfloat16).eval()
    small = torch.zeros(16, device="cuda")
    launch_ms = timed(lambda: small.add_(1), args.repeats * 100)
    print(f"{torch.cuda.get_device_name(0)}; one tiny kernel back to back: {launch_ms * 1000:.1f} us", flush=True)
    print(f"{'rows':>5s} {'eager ms':>9s} {'graph ms':>9s} {'eager/graph':>12s}", flush=True)
    for rows in [int(r) for r in args.rows.split(",")]:
        ids = torch.randint(0, config.vocab_size, (rows, 1), device="cuda")

        def forward() -> torch.Tensor:
            with torch.inference_mode():
                return model(input_ids=ids, use_cache=False).logits

        eager = timed(forward, args.repeats)
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                forward()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            forward()
        replay = timed(graph.replay, args.repeats)
        print(f"{rows:5d} {eager:9.2f} {replay:9.2f} {eager / replay:11.1f}x", flush=True)


if __name__ == "__main__":
    main()
