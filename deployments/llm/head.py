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
"""

from __future__ import annotations

import torch


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

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
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
