"""The decode step's kernel per CPU: flags read from /proc/cpuinfo, AMX -> bfloat16 copies, VNNI -> int8 copies,
neither -> the 4-bit kernel; the bfloat16 copy holds the 4-bit values exactly and is used only by decode
steps of enough rows (prefills and a lone request keep the 4-bit kernel)."""

from __future__ import annotations

import copy

import torch

from deployments.llm.cpu_kernels import GROUPS, CpuFeatures, cpu_features, enable_bf16, plan_kernels
from deployments.llm.decode_step import FlatLayers
from deployments.llm.int4 import Int4Linear, bf16_linear, int4_matmul, quantize_int4
from deployments.llm.llama_decoder import use_llama_decoder
from tests.unit.llm.test_int4 import q4_1_linear
from tests.unit.llm.test_llama_decoder import _trace
from tests.unit.llm.tiny_model import tiny_model

SAPPHIRE = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_int8 amx_tile\n"
ZEN4 = "processor\t: 0\nmodel name\t: AMD EPYC 9654\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n"
OLD = "processor\t: 0\nmodel name\t: Old\nflags\t\t: fpu sse4_2 avx2 fma\n"


def test_flags_are_read_from_cpuinfo(tmp_path) -> None:
    for name, text in {"spr": SAPPHIRE, "zen4": ZEN4, "old": OLD}.items():
        (tmp_path / name).write_text(text)
    spr, zen4, old = (cpu_features(str(tmp_path / n)) for n in ("spr", "zen4", "old"))
    assert spr.amx and spr.amx_int8 and spr.avx512_fp16 and spr.vnni and spr.model == "Intel(R) Xeon(R) Platinum 8480+"
    assert not zen4.amx and zen4.avx512_bf16 and zen4.int8_dot_products and not zen4.avx512_fp16
    assert not old.amx and not old.int8_dot_products
    missing = cpu_features(str(tmp_path / "missing"))
    assert not missing.amx and not missing.int8_dot_products
    assert "amx_bf16" in spr.describe() and "Platinum" in spr.describe()


def test_the_plan_per_cpu_and_row_count() -> None:
    int8_groups = frozenset({"qkv", "gate_up"})
    amx = plan_kernels(CpuFeatures(amx_bf16=True, amx_tile=True, amx_int8=True, vnni=True), 10, int8_groups)
    vnni = plan_kernels(CpuFeatures(vnni=True), 10, int8_groups)
    plain = plan_kernels(CpuFeatures(), 10, int8_groups)
    no_int8 = plan_kernels(CpuFeatures(vnni=True), 0, int8_groups)
    big = 64
    assert [amx.kernel(g, 1) for g in GROUPS] == ["int4pack"] * 4
    assert [amx.kernel(g, big) for g in GROUPS] == ["bf16-amx"] * 4
    assert [vnni.kernel(g, big) for g in GROUPS] == ["int8-vnni", "int4pack", "int8-vnni", "int4pack"]
    assert vnni.kernel("qkv", 9) == "int4pack"
    assert [plain.kernel(g, big) for g in GROUPS] == ["int4pack"] * 4 == [no_int8.kernel(g, big) for g in GROUPS]
    for plan in (amx, vnni, plain):  # the load log names every layer group
        assert all(group in plan.describe() for group in GROUPS)
    assert "AMX" in amx.describe() and "VNNI" in vnni.describe() and "AMX" not in plain.describe()


def test_the_bf16_copy_holds_the_4_bit_values_and_the_module_keeps_its_own_kernel() -> None:
    dense = q4_1_linear()
    four_bit, layer = Int4Linear(dense), Int4Linear(dense)
    layer.enable_bf16(8)
    eye = torch.eye(layer.in_features)
    assert layer.dense.dtype == torch.bfloat16 and layer.bf16_rows == 8
    plain = layer.dense.to_dense() if layer.dense.is_mkldnn else layer.dense  # oneDNN's packed layout where it has one
    assert torch.equal(plain.float(), int4_matmul(eye, four_bit.packed, 32, four_bit.scales_and_zeros).t())
    x = torch.randn(40, layer.in_features, generator=torch.Generator().manual_seed(3))
    assert torch.equal(layer(x), four_bit(x))  # a prefill through the module: still the 4-bit kernel
    through_bf16 = torch.nn.functional.linear(x.to(torch.bfloat16), plain).float()
    assert float((through_bf16 - four_bit(x)).norm() / four_bit(x).norm()) < 0.01  # same values, other summation
    assert torch.equal(bf16_linear(x, layer.dense), through_bf16)  # the packed layout: the same products
    copied = copy.deepcopy(layer)  # a packed copy has no storage: copied through its plain values
    assert torch.equal(bf16_linear(x, copied.dense), through_bf16) and copied.dense.is_mkldnn == layer.dense.is_mkldnn


def test_decode_steps_of_enough_rows_run_on_the_bf16_copies_with_the_4_bit_tokens() -> None:
    model = tiny_model(layers=2)
    assert use_llama_decoder(model)
    quantize_int4(model.model)
    four_bit = copy.deepcopy(model)
    assert enable_bf16(model.model, 2) == 8  # two layers, four projections each
    python = copy.deepcopy(model)
    python.model.step = "python"
    scripted, scripted_tokens = _trace(model)  # two rows prefilled, then decode steps of two and three rows
    assert isinstance(model.model._flat, FlatLayers) and model.model._flat.bf16_rows == 2
    assert all(d is not None and d.dtype == torch.bfloat16 for d in model.model._flat.dense)
    by_python, python_tokens = _trace(python)
    assert scripted_tokens == python_tokens
    assert all(torch.allclose(a, b, atol=1e-5, rtol=1e-5) for a, b in zip(scripted, by_python))
    reference, reference_tokens = _trace(four_bit)
    assert torch.equal(scripted[0], reference[0])  # the prefill: the 4-bit kernel
    assert not torch.equal(scripted[-1], reference[-1])  # decode steps: the bf16 copies
    assert float((scripted[-1] - reference[-1]).norm() / reference[-1].norm()) < 0.01
    assert scripted_tokens == reference_tokens
