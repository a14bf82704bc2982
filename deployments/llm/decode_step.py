"""One decode step (a new token for every running row) through all layers of a Llama decoder, as one function.

With 4-bit weights on the CPU a small model's decode step is mostly not its matrix products: each layer
runs about twenty more tensor operations (norms, rotary, cache writes, attention, residuals), each cheap,
and calling each from Python (module calls, argument parsing, the interpreter's own loop) costs as much
as the operation. `decode_layers` does the step's arithmetic for every layer in one call over flat lists
of weights, so it can run as a TorchScript function whose operations are dispatched from C++.

Written by hand because torch offers nothing else that removes the per-operation Python cost of this
step on the CPU: torch.compile (inductor) of the per-layer parts was slower here than eager, and of the
whole model too slow to compile on a small machine; CUDA graphs are for GPUs. TorchScript is in
maintenance in torch but still shipped; if scripting ever fails the same function runs in Python
(same arithmetic, only slower).

The arithmetic is `LlamaDecoder`'s for one query token per row (tests/unit/llm/test_llama_decoder.py
checks the same logits and greedy tokens as transformers' forward, dense and 4-bit).
"""

from __future__ import annotations

import logging
from typing import List, Optional

import torch
import torch.nn.functional as F

from deployments.llm.int4 import Int4Linear, bf16_linear, int4_matmul, int8_matmul

logger = logging.getLogger("ray.serve")


def normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """LlamaRMSNorm's statistics step (before its weight), as transformers computes it; `LlamaDecoder`'s
    layer-by-layer path calls it too."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """transformers' rotate_half: the rotary embedding's sine term pairs each half with the other."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _rms(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """LlamaRMSNorm on float32 activations (the engine's dtype whenever this path runs)."""
    return weight * normalize(x, eps)


def _project(x: torch.Tensor, weight: torch.Tensor, scales: Optional[torch.Tensor], group: int,
             int8_t: Optional[torch.Tensor], int8_scale: Optional[torch.Tensor], smooth: Optional[torch.Tensor],
             int8_rows: int, dense: Optional[torch.Tensor], bf16_rows: int) -> torch.Tensor:
    """A bias-free Linear layer: 4-bit packed (scales given; through its dense bfloat16 copy from ``bf16_rows``
    rows when it has one, AMX; else through its int8 copy from ``int8_rows`` rows when it has one, VNNI) or
    dense float32. `cpu_kernels` chose which copies exist."""
    if scales is None:
        return F.linear(x, weight)
    if dense is not None and bf16_rows > 0 and x.shape[0] >= bf16_rows:
        return bf16_linear(x, dense)
    if int8_t is not None and int8_scale is not None and smooth is not None and x.shape[0] >= int8_rows:
        return int8_matmul(x, int8_t, int8_scale, smooth)
    return int4_matmul(x, weight, group, scales)


def decode_layers(hidden: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, kv: torch.Tensor,
                  index: torch.Tensor, positions: torch.Tensor, rows: int, width: int, mask: torch.Tensor,
                  norms: List[torch.Tensor], weights: List[torch.Tensor], scales: List[Optional[torch.Tensor]],
                  int8_t: List[Optional[torch.Tensor]], int8_scale: List[Optional[torch.Tensor]],
                  smooth: List[Optional[torch.Tensor]], int8_rows: int, dense: List[Optional[torch.Tensor]],
                  bf16_rows: int, group: int, eps: float, heads: int,
                  kv_heads: int, head_dim: int, intermediate: int, scaling: float) -> torch.Tensor:
    """``hidden`` [rows, hidden] after every layer; each layer's new keys and values are written into ``kv``.

    Per layer i: ``norms[2i]``/``norms[2i+1]`` are the input/post-attention norm weights, and
    ``weights[4i..4i+3]`` (with ``scales``, None for dense) the fused q/k/v, o, fused gate/up and down
    projections; ``int8_t``/``int8_scale``/``smooth`` at the same index hold a 4-bit projection's int8 copy
    (`Int4Linear.enable_int8`; None without one), used for steps of ``int8_rows`` rows or more; ``dense`` a 4-bit
    projection's bfloat16 copy (`Int4Linear.enable_bf16`), used from ``bf16_rows`` rows before any other. ``kv`` is the
    slot cache ``[layers, 2, slots, kv_heads, columns, head_dim]``; row r writes at slot ``index[r]``, column
    ``positions[r]``, and attends over columns ``:width`` where ``mask`` allows.
    """
    batch = hidden.shape[0]
    groups = heads // kv_heads
    keys_end = heads + kv_heads
    for i in range(len(norms) // 2):
        qkv = _project(_rms(hidden, norms[2 * i], eps), weights[4 * i], scales[4 * i], group,
                       int8_t[4 * i], int8_scale[4 * i], smooth[4 * i], int8_rows,
                       dense[4 * i], bf16_rows)
        qkv = qkv.view(batch, heads + 2 * kv_heads, head_dim)
        qk = qkv[:, :keys_end]
        qk = qk * cos + rotate_half(qk) * sin  # rotary on queries and keys at once
        layer = kv[i]
        layer[0, index, :, positions] = qk[:, heads:]
        layer[1, index, :, positions] = qkv[:, keys_end:]
        # one query token: each key/value head's query heads as its queries (no repeated keys)
        out = F.scaled_dot_product_attention(qk[:, :heads].reshape(batch, kv_heads, groups, head_dim),
                                             layer[0, :rows, :, :width], layer[1, :rows, :, :width],
                                             attn_mask=mask, scale=scaling)
        hidden = hidden + _project(out.reshape(batch, -1), weights[4 * i + 1], scales[4 * i + 1], group,
                                   int8_t[4 * i + 1], int8_scale[4 * i + 1], smooth[4 * i + 1], int8_rows,
                       dense[4 * i + 1], bf16_rows)
        gate_up = _project(_rms(hidden, norms[2 * i + 1], eps), weights[4 * i + 2], scales[4 * i + 2], group,
                           int8_t[4 * i + 2], int8_scale[4 * i + 2], smooth[4 * i + 2], int8_rows,
                       dense[4 * i + 2], bf16_rows)
        act = F.silu(gate_up[:, :intermediate]) * gate_up[:, intermediate:]
        hidden = hidden + _project(act, weights[4 * i + 3], scales[4 * i + 3], group,
                                   int8_t[4 * i + 3], int8_scale[4 * i + 3], smooth[4 * i + 3], int8_rows,
                       dense[4 * i + 3], bf16_rows)
    return hidden


_scripted: dict[str, object] = {}


def compiled(script: bool):
    """`decode_layers`, scripted once per process when ``script`` (the Python function if that fails)."""
    if not script:
        return decode_layers
    if "fn" not in _scripted:
        try:
            _scripted["fn"] = torch.jit.script(decode_layers)
        except Exception as exc:  # noqa: BLE001 - any scripting failure leaves the same arithmetic in Python
            logger.warning("TorchScript of the decode step failed (%s); it runs in Python", exc)
            _scripted["fn"] = decode_layers
    return _scripted["fn"]


class FlatLayers:
    """A decoder's layers as the flat lists `decode_layers` takes, or `build` says they do not fit."""

    def __init__(self, norms: list, weights: list, scales: list, group: int, eps: float, intermediate: int,
                 int8_t: list | None = None, int8_scale: list | None = None, smooth: list | None = None,
                 int8_rows: int = 0, dense: list | None = None, bf16_rows: int = 0) -> None:
        self.norms, self.weights, self.scales = norms, weights, scales
        self.dense = dense or [None] * len(weights)
        self.bf16_rows = bf16_rows
        self.int8_t = int8_t or [None] * len(weights)
        self.int8_scale = int8_scale or [None] * len(weights)
        self.smooth = smooth or [None] * len(weights)
        self.int8_rows = int8_rows
        self.group, self.eps, self.intermediate = group, eps, intermediate

    @classmethod
    def build(cls, layers) -> "FlatLayers | None":
        """None unless every projection is bias-free, on the CPU, and all dense float32 or all 4-bit (one group
        size). A GPU keeps the layer-by-layer path: this step was measured and tested on the CPU only."""
        norms, weights, scales, groups, eps = [], [], [], set(), set()
        int8_t, int8_scale, smooth, int8_rows = [], [], [], set()
        dense, bf16_rows = [], set()
        for layer in layers:
            norms += [layer.input_norm.weight, layer.post_norm.weight]
            eps |= {layer.input_norm.variance_epsilon, layer.post_norm.variance_epsilon}
            for linear in (layer.qkv, layer.o_proj, layer.gate_up, layer.down_proj):
                if getattr(linear, "bias", None) is not None:
                    return None
                if isinstance(linear, Int4Linear):
                    weights.append(linear.packed)
                    scales.append(linear.scales_and_zeros)
                    groups.add(linear.group)
                    int8_t.append(linear.int8_t)
                    int8_scale.append(linear.int8_scale)
                    smooth.append(linear.inverse_smooth)
                    if linear.int8_t is not None:
                        int8_rows.add(linear.int8_rows)
                    dense.append(linear.dense if linear.bf16_rows > 0 else None)
                    if linear.bf16_rows > 0:
                        bf16_rows.add(linear.bf16_rows)
                elif type(linear) is torch.nn.Linear and linear.weight.dtype == torch.float32:
                    weights.append(linear.weight)
                    scales.append(None)
                    groups.add(0)
                    int8_t.append(None)
                    int8_scale.append(None)
                    smooth.append(None)
                    dense.append(None)
                else:
                    return None
        if len(groups) != 1 or len(eps) != 1 or len(int8_rows) > 1 or len(bf16_rows) > 1:
            return None
        if not all(n.dtype == torch.float32 for n in norms):
            return None
        if any(w.device.type != "cpu" for w in weights):
            return None
        return cls(norms, weights, scales, groups.pop(), float(eps.pop()), layers[0].intermediate,
                   int8_t, int8_scale, smooth, int8_rows.pop() if int8_rows else 0, dense,
                   bf16_rows.pop() if bf16_rows else 0)
