"""Medici's Llama decoder computes what transformers' forward computes, through the engine's runner."""

from __future__ import annotations

import copy

import pytest
import torch

from deployments.llm.decode_step import FlatLayers
from deployments.llm.int4 import quantize_int4
from deployments.llm.llama_decoder import LlamaDecoder, supports, use_llama_decoder
from deployments.llm.runner import ModelRunner
from tests.unit.llm.tiny_model import tiny_model

PROMPTS = [[5, 9, 13, 2, 40, 41, 7], [3, 3, 60], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]]


def _trace(model, steps: int = 6) -> tuple[list[torch.Tensor], list[list[int]]]:
    """Prefill two rows of different lengths together, decode greedily, a third row joins late; every
    step's logits. Medici's decoder prefills the two in one forward, transformers' one by one."""
    runner = ModelRunner(model, torch.device("cpu"))
    logits, tokens = [], [[] for _ in PROMPTS]
    first, _ = runner.add(PROMPTS[:2], [len(p) + steps + 2 for p in PROMPTS[:2]])
    logits.append(first)
    for i in range(2):
        tokens[i].append(int(first[i].argmax()))
    for step in range(steps):
        if step == 2:  # a row joins a running batch
            first, _ = runner.add([PROMPTS[2]], [len(PROMPTS[2]) + steps + 2])
            logits.append(first)
            tokens[2].append(int(first[0].argmax()))
        out = runner.decode([row[-1] for row in tokens[: runner.rows]])
        logits.append(out)
        for i in range(runner.rows):
            tokens[i].append(int(out[i].argmax()))
    return logits, tokens


@pytest.mark.parametrize("step", ["script", "python", "layers"])  # how decode steps run
@pytest.mark.parametrize("kv_heads", [2, 4])  # grouped-query and plain multi-head attention
def test_same_logits_and_greedy_tokens_as_transformers(kv_heads: int, step: str) -> None:
    reference = tiny_model(layers=3)
    if kv_heads != reference.config.num_key_value_heads:
        from transformers import LlamaForCausalLM

        config = copy.deepcopy(reference.config)
        config.num_key_value_heads = kv_heads
        torch.manual_seed(1)
        reference = LlamaForCausalLM(config).eval()
    ours = copy.deepcopy(reference)
    assert use_llama_decoder(ours, step) and isinstance(ours.model, LlamaDecoder)
    want, want_tokens = _trace(reference)
    got, got_tokens = _trace(ours)
    assert isinstance(ours.model._flat, FlatLayers) == (step != "layers")  # decode steps ran through decode_step
    assert got_tokens == want_tokens
    for a, b in zip(got, want):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_fused_4bit_layers_give_the_same_outputs_as_separate_ones() -> None:
    separate = tiny_model(layers=2)
    fused = copy.deepcopy(separate)
    use_llama_decoder(fused)
    quantize_int4(separate.model)
    quantize_int4(fused.model)
    want, want_tokens = _trace(separate)
    got, got_tokens = _trace(fused)
    assert isinstance(fused.model._flat, FlatLayers) and fused.model._flat.group == 32
    assert got_tokens == want_tokens
    assert all(torch.allclose(a, b, atol=1e-3, rtol=1e-3) for a, b in zip(got, want))


def test_layers_the_decode_step_cannot_run_keep_the_per_layer_forward() -> None:
    """A projection with a bias (or any other kind of layer) leaves decode steps to the module-by-module path."""
    reference = tiny_model(layers=2)
    ours = copy.deepcopy(reference)
    use_llama_decoder(ours)
    layer = ours.model.layers[1]
    layer.o_proj.bias = torch.nn.Parameter(torch.zeros(layer.o_proj.out_features), requires_grad=False)
    want, want_tokens = _trace(reference)
    got, got_tokens = _trace(ours)
    assert ours.model._flat is None
    assert got_tokens == want_tokens


def test_other_architectures_keep_the_transformers_forward() -> None:
    model = tiny_model()
    model.model.config.model_type = "mistral"
    assert not supports(model.model) and not use_llama_decoder(model)
    model.model.config.model_type = "llama"
    model.model.config.hidden_act = "gelu"
    assert not supports(model.model)


def test_the_decode_step_scripts_without_falling_back_to_python() -> None:
    """`compiled` falls back to Python silently (with a warning) when TorchScript fails: this torch must script it."""
    from deployments.llm import decode_step

    assert isinstance(decode_step.compiled(True), torch.jit.ScriptFunction)
    assert decode_step.compiled(False) is decode_step.decode_layers
