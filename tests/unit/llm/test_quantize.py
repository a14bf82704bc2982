"""int8 dynamic quantization of the engine's model: which layers change, and that the engine still decodes."""

from __future__ import annotations

import torch

from deployments.llm.engine import Engine
from deployments.llm.jobs import GenerationJob
from deployments.llm.head import quantize_head_int8
from deployments.llm.loader import quantize_int8
from tests.unit.llm.tiny_model import CharTokenizer, tiny_model

TOK = CharTokenizer()


def _greedy(model, prompt: str, n: int) -> GenerationJob:
    engine = Engine(model, TOK, torch.device("cpu"))
    engine.autostart = False
    job = GenerationJob(prompt_ids=TOK.encode(prompt), max_tokens=n, temperature=0.0)
    engine.submit(job, lambda error: None)
    while engine.running or len(engine.scheduler):
        engine.step()
    return job


def _plain_linears(module: torch.nn.Module) -> int:
    return sum(type(m) is torch.nn.Linear for m in module.modules())


def test_int8_replaces_every_decoder_linear_and_leaves_the_head_unless_asked() -> None:
    model = tiny_model()
    assert _plain_linears(model.model) == 2 * 7  # q, k, v, o, gate, up, down per layer
    quantize_int8(model)
    assert _plain_linears(model.model) == 0
    assert type(model.get_output_embeddings()) is torch.nn.Linear
    head_quantized = quantize_head_int8(quantize_int8(tiny_model()), exact_top_k=4)
    assert type(head_quantized.get_output_embeddings()) is not torch.nn.Linear
    assert type(head_quantized.model.embed_tokens) is torch.nn.Embedding  # lookups stay float32


def test_a_quantized_model_decodes_through_the_engine_close_to_float32() -> None:
    reference = _greedy(tiny_model(), "the same prompt", 12)
    quantized = _greedy(quantize_head_int8(quantize_int8(tiny_model()), exact_top_k=4), "the same prompt", 12)
    assert quantized.completion_tokens == 12 and quantized.finish_reason == "length"
    # int8 rounding may flip a near-tie late in the output, not the first tokens of a sharp random model
    assert quantized.text[:3] == reference.text[:3]
