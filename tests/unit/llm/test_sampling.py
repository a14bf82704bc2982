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


def _rows(specs: list[dict]):
    from deployments.llm.jobs import GenerationJob
    from deployments.llm.rows import Row

    rows = [Row(GenerationJob([1, 2], 8, seed=k, **spec), lambda text: [], torch.device("cpu")) for k, spec in enumerate(specs)]
    rows[3].tokens = [4, 4, 7]  # a row with penalties has generated something
    return rows


def test_rows_picked_together_get_the_tokens_each_gets_alone() -> None:
    """One batched pick (greedy, temperature, top-p, penalties, ignore_eos, logprobs, a finished row) per row
    equals picking each row on its own with the same seed."""
    from deployments.llm.rows import pick_tokens

    specs = [{"temperature": 0.0}, {"temperature": 0.9}, {"temperature": 1.2, "top_p": 0.5},
             {"temperature": 0.0, "presence_penalty": 1.5, "frequency_penalty": 0.5}, {"temperature": 0.7, "ignore_eos": True},
             {"temperature": 0.8, "logprobs": 2}, {"temperature": 0.0}]
    scores = torch.randn(len(specs), 50, generator=torch.Generator().manual_seed(5)) * 2
    scores[4, 0] = 20.0  # EOS (id 0) would win for the ignore_eos row
    together, alone = _rows(specs), _rows(specs)
    together[6].done = alone[6].done = True
    for _ in range(4):  # several steps: each row's generator advances the same way either way
        picked = pick_tokens(together, scores, [0])
        singles = [pick_tokens([row], scores[i : i + 1], [0])[0] for i, row in enumerate(alone)]
        assert picked == singles
        assert picked[6] == 0 and picked[4] != 0 and picked[0] == int(scores[0].argmax())
        assert together[5].pending.logprob == alone[5].pending.logprob and len(together[5].pending.top) == 2


def test_a_draw_past_the_allowed_tokens_takes_each_rows_last_allowed_one() -> None:
    """Rounding can put ``u * total`` at the total itself: that row gets its last allowed token, the others
    their own draw (the batched draw skips that search when no row needs it)."""
    from deployments.llm.rows import _draw_rows

    probs = torch.tensor([[0.25, 0.25, 0.25, 0.25, 0.0, 0.0], [0.0, 0.5, 0.0, 0.5, 0.0, 0.0]])
    assert _draw_rows(probs, torch.tensor([1.0, 0.2])).tolist() == [3, 1]
    assert _draw_rows(probs, torch.tensor([0.6, 0.9])).tolist() == [2, 3]


def test_ignore_eos_leaves_the_models_scores_as_they_were() -> None:
    """The EOS of an ignore_eos row is forbidden on a copy: logprobs read the model's own scores."""
    from deployments.llm.jobs import GenerationJob
    from deployments.llm.rows import Row, pick_tokens

    jobs = [GenerationJob([1], 8, temperature=t, ignore_eos=True, logprobs=1, seed=1) for t in (0.0, 0.7)]
    rows = [Row(job, lambda text: [], torch.device("cpu")) for job in jobs]
    scores = torch.randn(2, 40, generator=torch.Generator().manual_seed(2))
    scores[:, 0] = 30.0  # EOS (id 0) would win every row
    before = scores.clone()
    picked = pick_tokens(rows, scores, [0])
    assert 0 not in picked and torch.equal(scores, before)
    assert rows[0].pending.top[0][0] == 0  # the model's own best, as its logprobs report it
