"""Which CPU kernel multiplies the default model's decode-step matrices fastest, per batch size, side by side.

For each projection shape of the bundled model (fused q/k/v, o, fused gate/up, down; and the output head) and
each row count (a decode step of that many running requests), times every candidate kernel in turn, in one
run, rounds interleaved, and prints each one's time as a ratio to the 4-bit kernel (the engine's kernel for
one row). The engine's choice per CPU (`deployments/llm/cpu_kernels.py`) is taken from these ratios.

Candidates: float32 `F.linear` (MKL); torch's int4pack kernel (`_weight_int4pack_mm_for_cpu`, bfloat16
inputs); int8 x int8 `torch._int_mm` with per-row dynamic activation scales (VNNI); bfloat16 `F.linear`
(oneDNN, AMX tiles where the CPU has them), with the weight as a plain matrix (`bf16`, reordered by oneDNN inside
each call) and packed once in oneDNN's layout (`bf16_packed`, `int4.prepack_bf16`: the engine's); `_weight_int8pack_mm` (int8 weights, bfloat16 inputs); for the
head also torch.ao's dynamic int8 Linear (fbgemm), the engine's head before this bench.

Run: .venv/bin/python -m bench.matmul_kernels [--rows 1,4,8,16,32,64] [--threads 1] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from deployments.llm.cpu_kernels import cpu_features
from deployments.llm.head import int8_dynamic
from deployments.llm.int4 import Int4Linear, bf16_linear, int4_matmul, int8_matmul, prepack_bf16

# the bundled SmolLM2-135M's projections [out, in] (hidden 576, 9+3+3 heads of 64, intermediate 1536)
SHAPES = {"qkv": (960, 576), "o_proj": (576, 576), "gate_up": (3072, 576), "down_proj": (576, 1536)}
HEAD = (49152, 576)


def candidates(out_features: int, in_features: int, head: bool) -> dict:
    """name -> f(x) for one random weight matrix of this shape, in every candidate format."""
    linear = torch.nn.Linear(in_features, out_features, bias=False)
    linear.weight.data.normal_(0, 0.05)
    four = Int4Linear(linear)
    four.enable_int8(1, torch.ones(in_features))
    dense = four_values = linear.weight.data.to(torch.bfloat16)
    packed = prepack_bf16(dense)
    scale = linear.weight.data.abs().amax(1) / 127
    int8 = torch.round(linear.weight.data / scale[:, None]).to(torch.int8)
    kernels = {
        "fp32": lambda x: F.linear(x, linear.weight),
        "int4pack": lambda x: int4_matmul(x, four.packed, 32, four.scales_and_zeros),
        "int8_int_mm": lambda x: int8_matmul(x, four.int8_t, four.int8_scale, four.inverse_smooth),
        "bf16": lambda x: F.linear(x.to(torch.bfloat16), dense).float(),
        "bf16_packed": lambda x: bf16_linear(x, packed),
        "int8pack_mm": lambda x: torch.ops.aten._weight_int8pack_mm(x.to(torch.bfloat16), int8, scale.to(torch.bfloat16)).float(),
    }
    del four_values
    if head:
        dynamic = int8_dynamic(torch.nn.Sequential(linear))[0]
        kernels["ao_dynamic_int8"] = dynamic
    return kernels


def timed(fn, x: torch.Tensor, repeat: int) -> float:
    for _ in range(2):
        fn(x)
    started = time.perf_counter()
    for _ in range(repeat):
        fn(x)
    return (time.perf_counter() - started) / repeat


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1,4,8,16,32,64")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the engine's default on 2 cores: 1)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} torch {torch.__version__} threads={args.threads} "
          f"cpu: {cpu_features().describe()}", flush=True)
    groups = {name: candidates(*shape, head=False) for name, shape in SHAPES.items()}
    groups["head"] = candidates(*HEAD, head=True)
    with torch.inference_mode():
        for rows in [int(r) for r in args.rows.split(",")]:
            times: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for group, kernels in groups.items():
                    x = torch.randn(rows, (HEAD if group == "head" else SHAPES[group])[1])
                    for name, fn in kernels.items():
                        times.setdefault((group, name), []).append(timed(fn, x, args.repeat))
            for group, kernels in groups.items():
                base = statistics.median(times[(group, "int4pack")])
                cells = [f"{name} {statistics.median(times[(group, name)]) * 1e6:7.0f}us ({base / statistics.median(times[(group, name)]):4.2f}x)"
                         for name in kernels]
                print(f"rows {rows:3d} {group:9s} " + "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
