"""Int8 copies of 4-bit layers for many-row steps: used only from their row count, close to the 4-bit
product, smoothing helps a row with a large channel, and the calibrated decode step matches the modules."""

from __future__ import annotations

import copy

import torch

from deployments.llm.decode_step import FlatLayers
from deployments.llm.int4 import Int4Linear, int8_matmul, quantize_int4
from deployments.llm.int8_calibration import channel_maxima, enable_int8
from tests.unit.llm.test_int4 import q4_1_linear
from tests.unit.llm.test_llama_decoder import _trace
from tests.unit.llm.tiny_model import tiny_engine


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).norm() / want.norm())


def _inputs(rows: int, seed: int) -> torch.Tensor:
    """Rows whose channel 5 is fifty times the others, as a layer's input often has a few large channels."""
    x = torch.randn(rows, 96, generator=torch.Generator().manual_seed(seed))
    x[:, 5] *= 50
    return x


def _int8(layer: Int4Linear, x: torch.Tensor) -> torch.Tensor:
    return int8_matmul(x, layer.int8_t, layer.int8_scale, layer.inverse_smooth)


def test_the_int8_copy_holds_the_4_bit_values_and_the_layer_itself_keeps_the_4_bit_kernel() -> None:
    dense = q4_1_linear()
    four_bit = Int4Linear(dense)
    layer = Int4Linear(dense)
    layer.enable_int8(8, torch.ones(96))
    assert layer.int8_t.dtype == torch.int8 and layer.int8_t.shape == (96, 48) and layer.int8_rows == 8
    x = _inputs(16, 2)
    assert torch.equal(layer(x), four_bit(x))  # a prefill through the module: the 4-bit kernel
    assert not torch.equal(_int8(layer, x), four_bit(x))
    assert _relative_error(_int8(layer, x), four_bit(x)) < 0.1


def test_smoothing_by_calibrated_channel_maxima_cuts_the_error_of_a_large_channel() -> None:
    dense = q4_1_linear()
    want = Int4Linear(dense)
    calibration, x = _inputs(32, 3), _inputs(16, 4)  # calibrated on other rows than the ones measured
    plain, smoothed = Int4Linear(dense), Int4Linear(dense)
    plain.enable_int8(1, torch.ones(96))
    smoothed.enable_int8(1, calibration.abs().amax(0).pow(0.8))
    plain_error, smoothed_error = _relative_error(_int8(plain, x), want(x)), _relative_error(_int8(smoothed, x), want(x))
    assert smoothed_error < plain_error / 2
    assert smoothed_error < 0.02


def test_channel_maxima_are_the_largest_inputs_each_layer_saw() -> None:
    engine = tiny_engine(llama_decoder=True)
    decoder = engine.model.model
    quantize_int4(decoder)
    targets = {"layers.0.qkv": decoder.layers[0].qkv}
    seen = []
    hook = decoder.layers[0].qkv.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].reshape(-1, 64)))
    maxima = channel_maxima(decoder, targets, [[5, 6, 7, 8], [9, 10]])
    hook.remove()
    assert len(seen) == 2 and maxima["layers.0.qkv"].shape == (64,)
    assert torch.equal(maxima["layers.0.qkv"], torch.cat(seen).abs().amax(0))


def test_a_calibrated_engine_decodes_steps_of_enough_rows_through_int8_and_prefills_through_4_bits() -> None:
    engine = tiny_engine(llama_decoder=True)
    quantize_int4(engine.model.model)
    model = engine.model
    four_bit = copy.deepcopy(model)
    try:
        assert enable_int8(engine, 2, frozenset({"qkv", "gate_up"}), 0.8) == 4  # two layers, two projections each
    finally:
        engine.shutdown()
        if engine._thread is not None:
            engine._thread.join(10)
    layers = model.model.layers
    assert all(layer.qkv.int8_t is not None and layer.o_proj.int8_t is None for layer in layers)
    python = copy.deepcopy(model)
    python.model.step = "python"
    scripted, scripted_tokens = _trace(model)  # two rows prefilled, then decode steps of two and three rows
    assert isinstance(model.model._flat, FlatLayers) and model.model._flat.int8_rows == 2
    by_python, python_tokens = _trace(python)  # the same function, not scripted
    assert scripted_tokens == python_tokens
    assert all(torch.allclose(a, b, atol=1e-4, rtol=1e-4) for a, b in zip(scripted, by_python))
    reference, _ = _trace(four_bit)
    assert torch.equal(scripted[0], reference[0])  # the prefill: the 4-bit kernel
    assert not torch.equal(scripted[-1], reference[-1])  # decode steps: the int8 copies
    assert _relative_error(scripted[-1], reference[-1]) < 0.1
