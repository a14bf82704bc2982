"""The per-row rules in the shape the old `generate`-based engine called them (a logits processor
and a stopping criterion), so the row-rule tests stay as they were written; the engine itself now
calls `pick_tokens` and `advance_rows` directly from its step loop."""

from __future__ import annotations

from typing import Callable

import torch

from deployments.llm.rows import Row, advance_rows, pick_tokens


class _RowSampler:
    """Scores with only each row's chosen token left finite."""

    def __init__(self, rows: list[Row], eos_ids: set[int]) -> None:
        self.rows = rows
        self.eos_ids = sorted(eos_ids)

    def __call__(self, input_ids, scores: torch.Tensor) -> torch.Tensor:
        forced = torch.full_like(scores, float("-inf"))
        for i, token in enumerate(pick_tokens(self.rows, scores, self.eos_ids)):
            forced[i, token] = 0.0
        return forced


class _RowStopper:
    """Records the last column of ``input_ids`` and says which rows are finished."""

    def __init__(self, rows: list[Row], eos_ids: set[int], decode: Callable[[list[int]], str]) -> None:
        self.rows = rows
        self.eos_ids = eos_ids
        self.decode = decode

    def __call__(self, input_ids: torch.Tensor, scores, **kwargs) -> torch.Tensor:
        return torch.tensor(advance_rows(self.rows, input_ids[:, -1].tolist(), self.eos_ids, self.decode))
