"""The rescored int8 head: exact float32 logits where the choice is made, int8 elsewhere."""

from __future__ import annotations

import pytest
import torch

from deployments.llm.head import RescoredHead, quantize_head_int8
from deployments.llm.loader import pick_head
from tests.unit.llm.tiny_model import tiny_model


def _head(vocab: int = 2048, hidden: int = 64, seed: int = 0) -> tuple[torch.nn.Linear, torch.Tensor]:
    torch.manual_seed(seed)
    linear = torch.nn.Linear(hidden, vocab, bias=False)
    rows = torch.randn(8, hidden)
    rows[:, 3] *= 40  # an outlier channel, as LLM hidden states have: it coarsens the int8 activation scale
    return linear, rows


@torch.inference_mode()
def test_the_best_tokens_get_exact_logits_and_the_same_greedy_choice() -> None:
    linear, rows = _head()
    exact = linear(rows)
    rescored = RescoredHead(linear, exact_top_k=32)(rows)
    best = exact.topk(5, dim=-1).indices
    assert torch.equal(rescored.argmax(-1), exact.argmax(-1))
    assert torch.allclose(rescored.gather(1, best), exact.gather(1, best), atol=1e-5)


@torch.inference_mode()
def test_many_rows_take_the_bf16_copy_and_keep_the_exact_best_tokens() -> None:
    import copy

    linear, rows = _head()
    exact = linear(rows)
    head = RescoredHead(linear, exact_top_k=32)
    int8_only = head(rows)
    head.enable_bf16(8)  # the 8 rows given: through the bfloat16 copy
    through_bf16 = head(rows)
    best = exact.topk(5, dim=-1).indices
    assert torch.equal(through_bf16.argmax(-1), exact.argmax(-1))
    assert torch.allclose(through_bf16.gather(1, best), exact.gather(1, best), atol=1e-5)
    assert not torch.equal(through_bf16, int8_only)  # the other approximation outside the best
    plain = torch.nn.functional.linear(rows.to(torch.bfloat16), linear.weight.to(torch.bfloat16)).float()
    outside = torch.ones_like(exact, dtype=torch.bool).scatter_(1, exact.topk(32, dim=-1).indices, False)
    approximated = outside & (through_bf16 != exact)  # the bfloat16 copy's kernel and `linear`'s may round a sum
    # one unit in bfloat16's last place apart (CPUs without AMX); the int8 head is farther by orders of magnitude
    assert torch.allclose(through_bf16[approximated], plain[approximated], rtol=2 ** -7, atol=1e-3)
    assert not torch.allclose(int8_only[approximated], plain[approximated], rtol=2 ** -7, atol=1e-3)
    assert torch.equal(head(rows[:4]), RescoredHead(linear, exact_top_k=32)(rows[:4]))  # fewer rows: int8
    assert torch.equal(copy.deepcopy(head)(rows), through_bf16)
    head.enable_bf16(0)
    assert torch.equal(head(rows), int8_only)


@torch.inference_mode()
def test_without_rescoring_the_logits_are_int8_approximations() -> None:
    linear, rows = _head()
    exact = linear(rows)
    approx = RescoredHead(linear, exact_top_k=0)(rows)
    error = (approx - exact).abs().max().item()
    assert 0 < error < 0.25 * exact.abs().max().item()  # close, not equal


@torch.inference_mode()
def test_the_float32_weight_is_shared_not_copied_and_stays_float32() -> None:
    model = tiny_model()
    weight = model.get_output_embeddings().weight
    quantize_head_int8(model, exact_top_k=4)
    head = model.get_output_embeddings()
    assert isinstance(head, RescoredHead) and head.weight is weight and weight.dtype == torch.float32
    assert type(model.model.embed_tokens) is torch.nn.Embedding


@pytest.mark.parametrize(("setting", "quantize", "expected"), [
    (None, "int4", True), (None, "int8", True), (None, "none", False), (False, "int4", False), (True, "none", True),
])
def test_the_head_is_int8_by_default_exactly_when_the_layers_are_quantized(setting, quantize, expected) -> None:
    assert pick_head(setting, quantize) is expected
