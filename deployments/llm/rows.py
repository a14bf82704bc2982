"""Per-row decoding rules, shared by whatever schedules the rows: one request's state inside a batch.

Each row keeps its own sampling parameters, seed, stop strings, token budget and constraint.
`pick_tokens` chooses every row's next token from the step's logits; `advance_rows` records the
tokens, streams text out, honours cancellation and says which rows are finished. The engine that
batches rows (today transformers' `generate`) only calls these two, so scheduling and per-row
rules change independently.
"""

from __future__ import annotations

from typing import Callable

import torch

from deployments.llm.guided import ChoiceTrie
from deployments.llm.jobs import GenerationJob
from deployments.llm.stops import StopMatcher


class Row:
    """Decoding state of one job inside a batch."""

    def __init__(self, job: GenerationJob, encode: Callable[[str], list[int]], device: torch.device) -> None:
        self.job = job
        self.tokens: list[int] = []
        self.stops = StopMatcher(job.stop)
        self.trie = ChoiceTrie(job.choices, encode) if job.choices else None
        self.emitted = 0
        self.done = False
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(job.seed if job.seed is not None else torch.seed())

    def finish(self, reason: str, text: str) -> None:
        self.done = True
        self.job.finish_reason = reason
        self.job.text = text
        self.job.completion_tokens = len(self.tokens)
        self._emit_upto(text, len(text))

    def _emit_upto(self, text: str, end: int) -> None:
        if self.job.emit is not None and end > self.emitted:
            self.job.emit(text[self.emitted : end])
        self.emitted = max(self.emitted, end)


# Below this, sampling is greedy in all but name, and logits / temperature overflows float32 (a
# temperature of 1e-320 is 0 in float32: NaN probabilities that would fail the whole batch).
_GREEDY_BELOW = 1e-4


def _sample(logits: torch.Tensor, row: Row) -> int:
    """One token for one row: greedy at temperature 0, else temperature + top-p with the row's seed."""
    if row.job.temperature < _GREEDY_BELOW:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / row.job.temperature, dim=-1)
    if row.job.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < row.job.top_p
        keep[0] = True  # a top_p below float32's range (5e-324 is 0) kept nothing: NaN, a failed batch
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs, 1, generator=row.generator))


def pick_tokens(rows: list[Row], scores: torch.Tensor, eos_ids: list[int]) -> list[int]:
    """Each row's next token from its row of ``scores``, by its own rules (a finished row gets EOS)."""
    tokens = []
    for i, row in enumerate(rows):
        logits = scores[i]
        if row.trie is not None and not row.done:
            allowed = row.trie.allowed() + (eos_ids if row.trie.can_end() else [])
            mask = torch.full_like(logits, float("-inf"))
            mask[allowed] = 0.0
            logits = logits + mask
        elif row.job.ignore_eos:
            logits = logits.clone()
            logits[eos_ids] = float("-inf")
        tokens.append(eos_ids[0] if row.done else _sample(logits, row))
    return tokens


def advance_rows(rows: list[Row], tokens: list[int], eos_ids: set[int], decode: Callable[[list[int]], str]) -> list[bool]:
    """Record each unfinished row's new token; True for every row that is finished after it."""
    for row, token in zip(rows, tokens):
        if not row.done:
            _advance(row, token, eos_ids, decode)
    return [row.done for row in rows]


def _advance(row: Row, token: int, eos_ids: set[int], decode: Callable[[list[int]], str]) -> None:
    if row.job.cancelled.is_set():
        row.finish("cancelled", decode(row.tokens))
        return
    if token in eos_ids:
        row.finish("stop", row.trie.choice if row.trie and row.trie.choice else decode(row.tokens))
        return
    row.tokens.append(token)
    if row.trie is not None:
        row.trie.advance(token)
        if row.trie.must_end():
            row.finish("stop", row.trie.choice or "")
            return
    text = decode(row.tokens)
    cut = row.stops.find(text)
    if cut is not None:
        row.finish("stop", text[:cut])
    elif len(row.tokens) >= row.job.max_tokens:
        row.finish("length", text)
    elif row.trie is None:
        # a trailing U+FFFD is a multi-byte character cut in half: wait for its other bytes
        safe = row.stops.safe_length(text.rstrip("\ufffd"))
        row._emit_upto(text, safe)
