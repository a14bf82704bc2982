"""The output head as int8 logits over the whole vocabulary, rescored exactly for the best few tokens.

The head is the largest single matrix of a small model (vocabulary x hidden): on the CPU, with 4-bit
decoder layers, reading it in float32 costs more per decode step than every decoder layer together.
int8 weights with dynamic activation scales (torch.ao's `quantize_dynamic`, fbgemm/oneDNN kernels)
read a quarter of the bytes, but the activation's single scale per row adds enough error to flip the
order of near-tied tokens, so greedy outputs drift from float32's.

`RescoredHead` keeps the int8 logits for the whole vocabulary and recomputes the ``exact_top_k`` best
of each row from the float32 weight. Greedy decoding then picks exactly the float32 head's token
whenever that token is among the int8 head's best ``exact_top_k`` (the int8 error is far smaller than
the gap to the rest of the vocabulary), and sampling sees exact logits where nearly all the probability
mass is. Tokens outside the top stay approximate: a grammar that allows only low-ranked tokens chooses
among int8 logits. Hand-written because no library offers a rescored head; it is a top-k, a gather and
a batched dot product.

The float32 weight is usually the input embedding's (tied), so the rescoring adds no memory beyond
the int8 copy.

On a CPU with AMX tiles (`cpu_kernels`), steps of many rows may take the approximate logits from a bfloat16
copy in oneDNN's packed layout instead (`enable_bf16`): at many rows oneDNN's bfloat16 product on the tiles
beats the int8 one, and bfloat16 weights and inputs are closer to float32 than int8 ones with one activation
scale per row. The rescoring is the same, so the best ``exact_top_k`` logits are exact either way.
"""

from __future__ import annotations

import copy

import torch

from deployments.llm.int4 import bf16_linear, prepack_bf16


def int8_dynamic(module: torch.nn.Module) -> torch.nn.Module:
    """``module``'s Linear layers as int8 weights with per-batch dynamic activation scales.

    torch.ao's `quantize_dynamic` rather than hand-written kernels: it uses fbgemm/oneDNN's int8 GEMMs.
    torch warns that its quantized tensor types are deprecated in favour of torchao; torchao's int8 paths
    are built for torch.compile and CUDA, and this eager CPU path is the one measured (bench/engine_speed.py)."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    # one scale per output channel: a single scale per matrix (torch's default) lets one large weight
    # flatten a whole layer's small ones
    return quantize_dynamic(module, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


class RescoredHead(torch.nn.Module):
    """int8 logits for every token, float32 logits for each row's ``exact_top_k`` best (0: int8 only)."""

    def __init__(self, linear: torch.nn.Linear, exact_top_k: int) -> None:
        super().__init__()
        self.weight = linear.weight  # shared with the float32 head (and the tied embedding): no copy
        self.bias = linear.bias
        self.exact_top_k = min(exact_top_k, linear.out_features)
        # quantize_dynamic works on a deep copy: ``linear`` and the weight it may share stay float32
        self.approx = int8_dynamic(torch.nn.Sequential(linear))[0]
        self.dense: torch.Tensor | None = None  # `enable_bf16`: a packed bfloat16 copy for many-row steps
        self.dense_rows = 0

    def enable_bf16(self, rows: int) -> None:
        """Approximate logits of ``rows`` rows or more from a bfloat16 copy of the weight (oneDNN's packed layout
        where it has one), the int8 copy below; rows <= 0 turns it off."""
        self.dense = prepack_bf16(self.weight.detach().to(torch.bfloat16)) if rows > 0 else None
        self.dense_rows = max(rows, 0)

    def __deepcopy__(self, memo: dict) -> "RescoredHead":
        """A packed copy has no storage to copy: the copy gets its own, packed again from the float32 weight."""
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        state = {k: v for k, v in self.__dict__.items() if k != "dense"}
        new.__dict__.update(copy.deepcopy(state, memo))
        new.dense = None
        if self.dense is not None:
            new.enable_bf16(self.dense_rows)
        return new

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        rows = hidden.numel() // hidden.shape[-1]
        if self.dense is not None and rows >= self.dense_rows:
            logits = bf16_linear(hidden, self.dense)
            if self.bias is not None:
                logits = logits + self.bias
        else:
            logits = self.approx(hidden)
        if self.exact_top_k == 0:
            return logits
        rows = hidden.reshape(-1, hidden.shape[-1])
        flat = logits.view(-1, logits.shape[-1])
        top = flat.topk(self.exact_top_k, dim=-1, sorted=False).indices  # [rows, k]
        exact = torch.bmm(self.weight[top], rows.to(self.weight.dtype)[:, :, None])[:, :, 0]  # [rows, k]
        if self.bias is not None:
            exact = exact + self.bias[top]
        flat.scatter_(1, top, exact.to(flat.dtype))
        return logits


def quantize_head_int8(model, exact_top_k: int):
    """Replace ``model``'s output head by a `RescoredHead`; the input embedding it may share stays float32."""
    model.set_output_embeddings(RescoredHead(model.get_output_embeddings(), exact_top_k))
    return model
