"""Temperature sampling's draw: frequencies follow the probabilities, masked tokens never come, seeds repeat."""

from __future__ import annotations

import torch

from deployments.llm.rows import _draw


def _counts(probs: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    counts = torch.zeros(probs.shape[-1])
    for _ in range(n):
        counts[_draw(probs, generator)] += 1
    return counts


def test_draws_follow_the_probabilities() -> None:
    probs = torch.tensor([0.5, 0.0, 0.3, 0.15, 0.05])
    counts = _counts(probs, 4000)
    assert counts[1] == 0
    # four standard deviations of a binomial count at most
    assert torch.all((counts / 4000 - probs).abs() <= 4 * torch.sqrt(probs * (1 - probs) / 4000) + 1e-9)


def test_a_masked_token_is_never_drawn_even_at_the_ends_of_the_range() -> None:
    probs = torch.zeros(1000)
    probs[0], probs[500] = 1e-30, 1.0  # nearly all mass in the middle; the last token masked
    assert set(_counts(probs, 300).nonzero().flatten().tolist()) <= {0, 500}
    assert _draw(torch.tensor([0.0, 0.0, 2.0, 0.0]), torch.Generator().manual_seed(1)) == 2  # unnormalised


def test_the_same_seed_draws_the_same_sequence() -> None:
    probs = torch.softmax(torch.randn(4096, generator=torch.Generator().manual_seed(3)), dim=-1)
    assert torch.equal(_counts(probs, 50, seed=9), _counts(probs, 50, seed=9))
    assert not torch.equal(_counts(probs, 50, seed=9), _counts(probs, 50, seed=10))
