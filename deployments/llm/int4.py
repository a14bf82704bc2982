"""4-bit weight-only Linear layers for the CPU, on torch's own int4 kernel.

A decode step of a small model on the CPU is bound by the bytes of weights it reads: float32 weights
are eight times the bytes of 4-bit ones. The bundled GGUF stores every decoder Linear layer as Q4_1
(blocks of 32 weights, each block a float16 scale and minimum). transformers unpacks those to float32;
this module packs them back into 4-bit groups of 32 for `torch.ops.aten._weight_int4pack_mm_for_cpu`,
the kernel torchao's int4 CPU layout calls. A Q4_1 block's values are `min + scale * q` with q in 0..15
and both ends used, so a min-max requantization recovers the file's own q; the only changes are the
block constants rounded to bfloat16 and the matmul's input cast to bfloat16 (what the kernel takes).
`max_error` says how far the packed weights are from the loaded ones, so a dense (non-GGUF) model's
real quantization loss is logged rather than assumed.

Written against the aten op rather than through torchao: torchao would add a dependency to call this one
op, and its quantizer picks its own grouping and zero-point rounding, which would not reproduce the
GGUF blocks.

A prompt's prefill is the other shape: many rows at once. The int4pack kernel's cost grows with every
row (it unpacks the weights again for each small tile of rows), while a dense bfloat16 matmul (oneDNN)
reads its weights once and is compute-bound, so from a few dozen rows up it is the faster of the two
(docs/benchmarks.md). So a layer may also keep the same weights dense in bfloat16 (`dense_rows`): inputs
with that many rows or more use them. That costs two bytes per weight of memory, and the dense weights
are the 4-bit values rounded to bfloat16, so a long prompt's prefill differs from the 4-bit kernel's in
the last bits (measured in docs/benchmarks.md).

Between the two, a decode step of a dozen rows, an int8 x int8 product is the fastest: `enable_int8` adds an
int8 copy of the same values, which the decode step (`decode_step.py`) uses from its own row count, with int8
activations smoothed by factors that `int8_calibration` measures at load. Prefills and this module's own
forward keep the 4-bit kernel (or the dense copy), so a lone request's tokens never depend on the int8 copy.

Where oneDNN multiplies bfloat16 (`enable_bf16`, AMX CPUs), the dense copy is held in oneDNN's own blocked layout
(`prepack_bf16`): a plain [out, in] matrix given to `F.linear` is reordered into that layout inside every call,
which at a decode step's few rows costs about as much as the product itself (bench/matmul_kernels.py's
`bf16_packed` against `bf16`). The packed copy holds the same values and gives the same products.
"""

from __future__ import annotations

import copy
from typing import List, Optional, Union

import torch

# the row count oneDNN is told to expect when packing a weight (its layout choice; any row count runs on it)
PREPACK_ROWS = 64

GROUP = 32  # GGUF's block size for Q4_0/Q4_1
_INNER_K_TILES = 1  # the CPU pack ignores tiling; torch's API still takes the argument


def fits(linear: torch.nn.Linear, group: int = GROUP) -> bool:
    """The kernel needs whole groups along the input and whole 16-column tiles along the output."""
    return linear.in_features % group == 0 and linear.out_features % 16 == 0


def int8_matmul(x: torch.Tensor, weight_t: torch.Tensor, weight_scale: torch.Tensor, inverse_smooth: torch.Tensor) -> torch.Tensor:
    """``x`` [rows, in], divided channel by channel by the smoothing factors (``inverse_smooth`` is their
    inverse) and quantized to int8 per row (symmetric, dynamic), times int8 weights ``weight_t`` [in, out]
    (already multiplied by the factors; one scale per output column), accumulated in int32 by
    `torch._int_mm` (VNNI on x86). See `int8_calibration`.

    A plain function so that the TorchScript decode step calls the same code as `Int4Linear`."""
    x = x * inverse_smooth
    step = x.abs().amax(-1, keepdim=True).clamp(min=1e-12) / 127
    quantized = torch.round(x / step).to(torch.int8)
    return torch._int_mm(quantized, weight_t).to(x.dtype) * step * weight_scale


def int4_matmul(x: torch.Tensor, packed: torch.Tensor, group: int, scales_and_zeros: torch.Tensor) -> torch.Tensor:
    """``x`` [rows, in] times packed 4-bit weights, in ``x``'s dtype (the kernel takes bfloat16 inputs).

    A plain function so that the TorchScript decode step (`decode_step.py`) calls the same code as `Int4Linear`."""
    out = torch.ops.aten._weight_int4pack_mm_for_cpu(x.to(torch.bfloat16), packed, group, scales_and_zeros)
    return out.to(x.dtype)


def prepack_bf16(weight: torch.Tensor) -> torch.Tensor:
    """``weight`` [out, in] bfloat16 in oneDNN's blocked layout for `bf16_linear`, or as it is where this torch
    build has no oneDNN bfloat16 (the plain matrix then runs through `F.linear`, same values)."""
    if weight.is_mkldnn or weight.device.type != "cpu":
        return weight
    try:
        if not (torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()):
            return weight
        return torch.ops.mkldnn._reorder_linear_weight(weight, PREPACK_ROWS)
    except (RuntimeError, AttributeError):  # an op this torch build lacks: the plain matrix works everywhere
        return weight


def bf16_linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x`` times a bfloat16 ``weight`` (plain, or packed by `prepack_bf16`), in ``x``'s dtype.

    A plain function so that the TorchScript decode step (`decode_step.py`) calls the same code as `Int4Linear`."""
    x16 = x.to(torch.bfloat16)
    if weight.is_mkldnn:
        no_scalars = torch.jit.annotate(List[Optional[Union[int, float, complex]]], [])
        y = torch.ops.mkldnn._linear_pointwise(x16, weight, None, "none", no_scalars, "")
    else:
        y = torch.nn.functional.linear(x16, weight)
    return y.to(x.dtype)


class Int4Linear(torch.nn.Module):
    """A Linear layer whose weight is held as packed 4-bit groups with a bfloat16 scale and zero each."""

    def __init__(self, linear: torch.nn.Linear, group: int = GROUP, dense_rows: int = 0) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        out_features, in_features = weight.shape
        blocks = weight.reshape(out_features, in_features // group, group)
        low, high = blocks.amin(-1), blocks.amax(-1)
        scale = ((high - low) / 15).clamp(min=torch.finfo(torch.float32).tiny)
        q = torch.round((blocks - low[..., None]) / scale[..., None]).clamp(0, 15)
        # the kernel computes (q - 8) * scale + zero, so its zero is the block's value at q = 8
        zero = low + 8 * scale
        constants = torch.stack([scale, zero], -1).to(torch.bfloat16)
        restored = (q - 8) * constants[..., 0:1].float() + constants[..., 1:2].float()
        self.max_error = float((restored - blocks).abs().max())
        self.in_features, self.out_features, self.group = in_features, out_features, group
        packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(
            q.reshape(out_features, in_features).to(torch.int32), _INNER_K_TILES
        )
        self.register_buffer("packed", packed)
        self.register_buffer("scales_and_zeros", constants.transpose(0, 1).contiguous())  # [groups, out, 2]
        # the packed weights' own values, dense: what the kernel multiplies by, rounded to bfloat16
        dense = restored.reshape(out_features, in_features).to(torch.bfloat16) if dense_rows > 0 else None
        self.register_buffer("dense", dense)
        self.dense_rows = dense_rows
        # `enable_int8` may add the same values as int8 for many-row steps
        self.register_buffer("int8_t", None)
        self.register_buffer("int8_scale", None)
        self.register_buffer("inverse_smooth", None)
        self.int8_rows = 0
        self.bf16_rows = 0  # `enable_bf16`: decode steps of this many rows use the dense copy (0: never)
        self.bias = None if linear.bias is None else torch.nn.Parameter(linear.bias.detach().clone(), False)

    def enable_int8(self, rows: int, smooth: torch.Tensor) -> None:
        """Let decode steps of ``rows`` rows or more multiply through int8: the 4-bit values times the
        per-input-channel ``smooth`` factors, as int8 with one scale per output column (`int8_matmul`)."""
        eye = torch.eye(self.in_features)
        weight = int4_matmul(eye, self.packed, self.group, self.scales_and_zeros).t() * smooth  # [out, in]
        scale = weight.abs().amax(1).clamp(min=1e-12) / 127
        self.int8_t = torch.round(weight / scale[:, None]).to(torch.int8).t().contiguous()
        self.int8_scale = scale.float()
        self.inverse_smooth = (1.0 / smooth).float()
        self.int8_rows = rows

    def enable_bf16(self, rows: int) -> None:
        """Let decode steps of ``rows`` rows or more multiply by the dense bfloat16 copy (AMX tiles through
        oneDNN; `cpu_kernels`), building that copy from the packed values when the layer has none. Prefills
        keep ``dense_rows``."""
        if self.dense is None:
            eye = torch.eye(self.in_features)
            # the kernel's own values: (q - 8) * scale + zero in bfloat16, exactly what the dense copy holds
            self.dense = int4_matmul(eye, self.packed, self.group, self.scales_and_zeros).t().to(torch.bfloat16).contiguous()
            self.dense_rows = 1 << 30  # kept for decode steps only: prefills stay on the 4-bit kernel as set
        self.dense = prepack_bf16(self.dense)
        self.bf16_rows = rows

    def __deepcopy__(self, memo: dict) -> "Int4Linear":
        """A packed dense copy has no storage to copy: the copy is made from its plain values, then packed again."""
        packed = self.dense is not None and self.dense.is_mkldnn
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        state = dict(self.__dict__)
        state["_buffers"] = dict(self._buffers)
        if packed:
            state["_buffers"]["dense"] = self.dense.to_dense()
        new.__dict__.update(copy.deepcopy(state, memo))
        if packed:
            new.dense = prepack_bf16(new.dense)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features)
        if self.dense is not None and rows.shape[0] >= self.dense_rows:
            y = bf16_linear(rows, self.dense)
        else:
            y = int4_matmul(rows, self.packed, self.group, self.scales_and_zeros)
        y = y.reshape(*x.shape[:-1], self.out_features)
        return y if self.bias is None else y + self.bias


def quantize_int4(module: torch.nn.Module, group: int = GROUP, dense_rows: int = 0) -> float:
    """Replace every Linear layer under ``module`` that the kernel fits; returns the largest weight error.

    ``dense_rows`` > 0 also keeps each layer's weights dense in bfloat16 for inputs of that many rows or
    more (`Int4Linear`). Layers that do not fit keep their dense weights (correct, just not faster)."""
    worst = 0.0
    for name, child in list(module.named_children()):
        if isinstance(child, torch.nn.Linear) and fits(child, group):
            layer = Int4Linear(child, group, dense_rows)
            worst = max(worst, layer.max_error)
            setattr(module, name, layer)
        else:
            worst = max(worst, quantize_int4(child, group, dense_rows))
    return worst
