"""The CPU's matrix instructions, read once at load, and the kernel each decode-step matmul runs on.

A decode step of a small model multiplies a few rows (one per running request) by every weight matrix. Which
kernel is fastest depends on the row count and on what the CPU has, and was measured side by side per row
count (bench/matmul_kernels.py, docs/benchmarks.md):

- torch's int4pack kernel reads the fewest bytes, so it wins at one row, but it unpacks the weights again for
  each small tile of rows, so its cost grows with every row;
- on a CPU with AMX tiles for bfloat16 (Sapphire Rapids and later), oneDNN's bfloat16 matmul (the
  `F.linear` of bfloat16 tensors) runs on the tiles and is the fastest from a few rows up. It multiplies the
  4-bit values themselves (held dense in bfloat16, exact) by bfloat16 inputs, which is what the int4pack kernel
  computes too, so switching kernels moves outputs only by summation order;
- without AMX but with int8 dot products (AVX512-VNNI, AVX-VNNI), int8 x int8 `torch._int_mm` with smoothed
  int8 activations (`int8_calibration`) is the fastest from about ten rows; it rounds the activations to
  int8, so it stays limited to the projections whose inputs smoothing evens out;
- otherwise every step keeps the 4-bit kernel.

Flags come from /proc/cpuinfo (Linux lists amx_bf16, amx_int8, avx512_fp16, ...); torch's own
`get_cpu_capability` tops out at "AVX512" and does not say whether tiles exist. oneDNN detects the tiles
itself at run time; nothing here forces an instruction set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from deployments.llm.int4 import Int4Linear

logger = logging.getLogger("ray.serve")

GROUPS = ("qkv", "o_proj", "gate_up", "down_proj")  # a Llama layer's projections, as `LlamaDecoder` fuses them

# From this many rows a decode step's projections run as bfloat16 on AMX tiles (below it, the int4pack kernel,
# which reads a quarter of the bytes, is faster: bench/matmul_kernels.py).
AMX_BF16_ROWS = 8
# From this many rows the int8 head's approximate logits come from its bfloat16 copy on the tiles instead
# (`head.RescoredHead.enable_bf16`): as fast as the int8 product from here and faster with more rows, and closer to
# the float32 head outside the rescored best (below it the int8 product, half the bytes, is faster).
AMX_HEAD_BF16_ROWS = 16


@dataclass(frozen=True)
class CpuFeatures:
    """The matrix-relevant instruction sets this CPU lists."""

    amx_bf16: bool = False
    amx_int8: bool = False
    amx_tile: bool = False
    avx512_fp16: bool = False
    avx512_bf16: bool = False
    vnni: bool = False  # AVX512-VNNI or AVX-VNNI: int8 dot products
    model: str = ""
    torch_capability: str = ""

    @property
    def amx(self) -> bool:
        """Tiles usable for bfloat16 matmuls (oneDNN's brgemm AMX kernels)."""
        return self.amx_tile and self.amx_bf16

    @property
    def int8_dot_products(self) -> bool:
        return self.vnni or self.amx_int8

    def describe(self) -> str:
        flags = [name for name in ("amx_bf16", "amx_int8", "amx_tile", "avx512_fp16", "avx512_bf16") if getattr(self, name)]
        if self.vnni:
            flags.append("vnni")
        return f"{self.model or 'unknown CPU'} [{' '.join(flags) or 'no AMX, AVX512-FP16/BF16 or VNNI'}; torch {self.torch_capability}]"


def cpu_features(cpuinfo: str = "/proc/cpuinfo") -> CpuFeatures:
    """The flags of the first processor listed (all cores of a machine list the same); none where unreadable."""
    flags: set[str] = set()
    model = ""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001 - informative only
        capability = "unknown"
    return CpuFeatures(
        amx_bf16="amx_bf16" in flags, amx_int8="amx_int8" in flags, amx_tile="amx_tile" in flags,
        avx512_fp16="avx512_fp16" in flags, avx512_bf16="avx512_bf16" in flags,
        vnni=bool(flags & {"avx512_vnni", "avx_vnni"}), model=model, torch_capability=capability,
    )


@dataclass(frozen=True)
class KernelPlan:
    """Which kernel each decode-step projection group runs on, by row count.

    ``bf16_rows`` > 0: from that many rows every 4-bit projection multiplies by its dense bfloat16 copy
    (AMX). ``int8_rows`` > 0: from that many rows the ``int8_groups`` multiply through int8 copies (VNNI);
    used only where ``bf16_rows`` is 0. Below both, the int4pack kernel."""

    bf16_rows: int = 0
    int8_rows: int = 0
    int8_groups: frozenset[str] = frozenset()

    def kernel(self, group: str, rows: int) -> str:
        """The kernel name a step of ``rows`` rows uses for ``group`` (what the decode step does)."""
        if self.bf16_rows and rows >= self.bf16_rows:
            return "bf16-amx"
        if self.int8_rows and rows >= self.int8_rows and group in self.int8_groups:
            return "int8-vnni"
        return "int4pack"

    def describe(self) -> str:
        """One phrase per layer group, for the load log line."""
        parts = []
        for group in GROUPS:
            if self.bf16_rows:
                rule = f"int4pack below {self.bf16_rows} rows, bfloat16 on AMX tiles (oneDNN) from {self.bf16_rows}"
            elif self.int8_rows and group in self.int8_groups:
                rule = f"int4pack below {self.int8_rows} rows, int8 x int8 (VNNI) from {self.int8_rows}"
            else:
                rule = "int4pack at every row count"
            parts.append(f"{group}: {rule}")
        return "; ".join(parts)


def plan_kernels(features: CpuFeatures, int8_rows: int, int8_groups: frozenset[str]) -> KernelPlan:
    """AMX bfloat16 where the CPU has tiles; else the int8 settings where it has int8 dot products; else 4-bit."""
    if features.amx:
        return KernelPlan(bf16_rows=AMX_BF16_ROWS)
    if features.int8_dot_products and int8_rows > 0:
        return KernelPlan(int8_rows=int8_rows, int8_groups=int8_groups)
    return KernelPlan()


def enable_bf16(decoder: torch.nn.Module, rows: int) -> int:
    """Give every 4-bit projection under ``decoder`` its bfloat16 kernel from ``rows`` rows; returns how many.
    The decode step's flat weight lists are rebuilt at the next step."""
    layers = [module for module in decoder.modules() if isinstance(module, Int4Linear)]
    for layer in layers:
        layer.enable_bf16(rows)
    if layers and hasattr(decoder, "reset_decode_step"):
        decoder.reset_decode_step()
    return len(layers)
