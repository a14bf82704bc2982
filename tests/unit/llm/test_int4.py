"""4-bit weight-only layers: a Q4_1-shaped weight packs without change, outputs match the dense layer,
layers the kernel cannot take stay dense, and the engine decodes through a 4-bit model."""

from __future__ import annotations

import torch

from deployments.llm.int4 import Int4Linear, quantize_int4
from tests.unit.llm.test_quantize import _greedy, _plain_linears
from tests.unit.llm.tiny_model import tiny_model


def q4_1_linear(out_features: int = 48, in_features: int = 96, seed: int = 0) -> torch.nn.Linear:
    """A Linear layer whose weight is what a Q4_1 GGUF block holds: min + scale * q, q in 0..15, both ends used."""
    gen = torch.Generator().manual_seed(seed)
    blocks = in_features // 32
    q = torch.randint(0, 16, (out_features, blocks, 32), generator=gen).float()
    q[..., 0], q[..., 1] = 0, 15
    # constants exact in bfloat16, as the kernel stores them
    scale = (torch.rand(out_features, blocks, 1, generator=gen) / 50 + 0.001).to(torch.bfloat16).float()
    low = (-8 * scale - torch.rand(out_features, blocks, 1, generator=gen) / 100).to(torch.bfloat16).float()
    linear = torch.nn.Linear(in_features, out_features, bias=False)
    with torch.no_grad():
        linear.weight.copy_((low + scale * q).reshape(out_features, in_features))
    return linear


def test_a_q4_1_block_weight_packs_back_to_the_same_values() -> None:
    dense = q4_1_linear()
    packed = Int4Linear(dense)
    assert packed.max_error < 1e-6
    x = torch.randn(5, 96)
    expected = dense(x.to(torch.bfloat16).float())  # the kernel's input is bfloat16
    assert torch.allclose(packed(x), expected, rtol=2e-2, atol=2e-2)
    assert packed(x).dtype == torch.float32 and packed(x[None]).shape == (1, 5, 48)


def test_many_rows_go_through_the_dense_copy_of_the_same_weights() -> None:
    dense = q4_1_linear()
    packed = Int4Linear(dense, dense_rows=8)
    assert packed.dense.dtype == torch.bfloat16 and packed.dense.shape == dense.weight.shape
    assert torch.equal(packed.dense, dense.weight.detach().to(torch.bfloat16))  # the 4-bit values, rounded
    few, many = torch.randn(7, 96), torch.randn(8, 96)
    assert torch.equal(packed(few), Int4Linear(dense)(few))  # below dense_rows: the 4-bit kernel itself
    expected = dense(many.to(torch.bfloat16).float())
    assert torch.allclose(packed(many), expected, rtol=2e-2, atol=2e-2)
    assert not torch.equal(packed(many), Int4Linear(dense)(many))  # a different kernel did this one
    assert Int4Linear(dense).dense is None  # no copy unless asked


def test_a_dense_weight_reports_its_quantization_error() -> None:
    torch.manual_seed(0)
    dense = torch.nn.Linear(64, 32)
    packed = Int4Linear(dense)
    assert 0.0 < packed.max_error < float(dense.weight.abs().max()) / 8  # half a step of 15 at most, plus rounding
    x = torch.randn(3, 64)
    assert float((packed(x) - dense(x)).abs().mean()) < 0.05  # bias carried over


def test_every_fitting_decoder_linear_becomes_4_bit_and_the_rest_stay_dense() -> None:
    model = tiny_model()
    before = _plain_linears(model.model)
    quantize_int4(model.model)
    assert before > 0 and _plain_linears(model.model) == 0
    assert sum(isinstance(m, Int4Linear) for m in model.model.modules()) == before
    odd = torch.nn.Sequential(torch.nn.Linear(40, 32), torch.nn.Linear(32, 24))  # 40 inputs: not whole groups
    quantize_int4(odd)
    assert type(odd[0]) is torch.nn.Linear and type(odd[1]) is torch.nn.Linear  # 24 outputs: not whole tiles


def snapped_to_4_bits(model: torch.nn.Module) -> torch.nn.Module:
    """Each decoder Linear weight moved to its nearest 4-bit group value: what a Q4_1 file holds."""
    for layer in model.model.modules():
        if isinstance(layer, torch.nn.Linear):
            w = layer.weight.detach()
            blocks = w.reshape(w.shape[0], -1, 32)
            low, high = blocks.amin(-1, keepdim=True), blocks.amax(-1, keepdim=True)
            scale = ((high - low) / 15).to(torch.bfloat16).float()
            low = low.to(torch.bfloat16).float()
            q = torch.round((blocks - low) / scale).clamp(0, 15)
            with torch.no_grad():
                layer.weight.copy_((low + scale * q).reshape(w.shape))
    return model


def test_a_4_bit_model_decodes_through_the_engine_as_its_dense_twin() -> None:
    reference = _greedy(snapped_to_4_bits(tiny_model()), "the same prompt", 12)
    model = snapped_to_4_bits(tiny_model())
    assert quantize_int4(model.model) < 1e-2
    job = _greedy(model, "the same prompt", 12)
    assert job.completion_tokens == 12 and job.finish_reason == "length"
    assert job.text[:3] == reference.text[:3]


def test_auto_picks_4_bits_only_for_a_gguf_on_the_cpu() -> None:
    from deployments.llm.loader import pick_quantize

    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert pick_quantize("auto", cpu, "model.Q4_1.gguf") == "int4"
    assert pick_quantize("auto", cpu, None) == "none"  # a dense checkpoint is not quantized unasked
    assert pick_quantize("auto", gpu, "model.Q4_1.gguf") == "none"
    assert pick_quantize("int8", cpu, None) == "int8" and pick_quantize("none", cpu, "m.gguf") == "none"
