"""Per-row decoding rules, shared by whatever schedules the rows: one request's state inside a batch.

Each row keeps its own sampling parameters, seed, penalties, stop strings, token budget, logprob
capture and grammar constraint. `pick_tokens` chooses every row's next token from the step's
logits; `advance_rows` records the tokens, streams text out, honours cancellation and says which
rows are finished. The engine that batches rows only calls these two, so scheduling and per-row
rules change independently.
"""

from __future__ import annotations

import logging
from typing import Callable

import torch

from deployments.llm.guided import batch_masks
from deployments.llm.jobs import GenerationJob, TokenLogprob
from deployments.llm.stops import StopMatcher

logger = logging.getLogger("ray.serve")


class Row:
    """Decoding state of one job inside a batch."""

    def __init__(self, job: GenerationJob, encode: Callable[[str], list[int]], device: torch.device) -> None:
        self.job = job
        self.tokens: list[int] = []
        self.stops = StopMatcher(job.stop)
        self.constraint = job.constraint
        self.emitted = 0
        self.done = False
        self.pending: TokenLogprob | None = None  # the logprob of the token picked, until it is recorded
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
    return _draw(probs, row.generator)


def _draw(probs: torch.Tensor, generator: torch.Generator) -> int:
    """One index drawn with probability ``probs`` (unnormalised is fine): inverse CDF, one uniform number.

    Hand-written rather than `torch.multinomial`, which on the CPU draws far more random numbers than one
    per sample and costs a millisecond over a 49k vocabulary, per row and step. A zero-probability index
    (a masked token) is never drawn: its cumulative sum equals its predecessor's."""
    cdf = torch.cumsum(probs, dim=-1)
    target = torch.rand(1, generator=generator, device=probs.device, dtype=cdf.dtype) * cdf[-1]
    index = int(torch.searchsorted(cdf, target, right=True))
    if index >= probs.shape[-1] or not probs[index] > 0:  # u * total rounded up to the total itself
        index = int(torch.nonzero(probs > 0)[-1])
    return index


def _penalised(logits: torch.Tensor, row: Row) -> torch.Tensor:
    """OpenAI's presence and frequency penalties over the tokens this row generated so far."""
    job = row.job
    if not row.tokens or (job.presence_penalty == 0.0 and job.frequency_penalty == 0.0):
        return logits
    counts = torch.bincount(torch.tensor(row.tokens, device=logits.device), minlength=logits.shape[-1])
    counts = counts[: logits.shape[-1]].to(logits.dtype)
    return logits - job.frequency_penalty * counts - job.presence_penalty * (counts > 0).to(logits.dtype)


def _constrained(logits: torch.Tensor, row: Row, allowed_np, eos_ids: list[int]) -> torch.Tensor:
    """``logits`` with every token the grammar forbids at -inf; EOS allowed exactly when the match is complete."""
    allowed = torch.zeros(logits.shape[-1], dtype=torch.bool)
    width = min(len(allowed_np), logits.shape[-1])  # a model may pad its vocabulary past the tokenizer's
    allowed[:width] = torch.from_numpy(allowed_np[:width])
    allowed[eos_ids] = row.constraint.can_end()
    if not bool(allowed.any()):  # a dead end (never under the mask): end the row, reported as unmet
        allowed[eos_ids] = True
    return logits.masked_fill(~allowed.to(logits.device), float("-inf"))


def _logprob(logits: torch.Tensor, token: int, k: int) -> TokenLogprob:
    """Logprobs of the model's own distribution (before penalties and masks), as vLLM reports them."""
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    top = torch.topk(logprobs, k) if k > 0 else None
    pairs = list(zip(top.indices.tolist(), top.values.tolist())) if top is not None else []
    return TokenLogprob(token, float(logprobs[token]), pairs)


def pick_tokens(rows: list[Row], scores: torch.Tensor, eos_ids: list[int]) -> list[int]:
    """Each row's next token from its row of ``scores``, by its own rules (a finished row gets EOS)."""
    constrained = [i for i, row in enumerate(rows) if row.constraint is not None and not row.done]
    masks = dict(zip(constrained, batch_masks([rows[i].constraint for i in constrained]))) if constrained else {}
    tokens = []
    for i, row in enumerate(rows):
        if row.done:
            tokens.append(eos_ids[0])
            continue
        raw = scores[i]
        logits = _penalised(raw, row)
        if i in masks:
            logits = _constrained(logits, row, masks[i], eos_ids)
        elif row.job.ignore_eos:
            logits = logits.clone()
            logits[eos_ids] = float("-inf")
        token = _sample(logits, row)
        row.pending = _logprob(raw, token, row.job.logprobs) if row.job.logprobs is not None else None
        tokens.append(token)
    return tokens


def advance_rows(rows: list[Row], tokens: list[int], eos_ids: set[int], decode: Callable[[list[int]], str]) -> list[bool]:
    """Record each unfinished row's new token; True for every row that is finished after it."""
    for row, token in zip(rows, tokens):
        if not row.done:
            _advance(row, token, eos_ids, decode)
    return [row.done for row in rows]


def _advance(row: Row, token: int, eos_ids: set[int], decode: Callable[[list[int]], str]) -> None:
    constraint = row.constraint
    if row.job.cancelled.is_set():
        row.finish("cancelled", constraint.text if constraint else decode(row.tokens))
        return
    if token in eos_ids:
        if constraint is None:
            row.finish("stop", decode(row.tokens))
        else:  # an EOS before the match is complete only comes from a dead end: never a match
            row.finish("stop" if constraint.can_end() else "length", constraint.text)
        return
    row.tokens.append(token)
    if row.pending is not None:
        row.job.token_logprobs.append(row.pending)
        row.pending = None
    if constraint is not None:
        if not constraint.advance(token):
            logger.warning("grammar rejected token %d: %s", token, constraint.matcher.get_error())
            row.finish("length", constraint.text)
            return
        text = constraint.text
        if constraint.must_end():
            row.finish("stop", text)
            return
        cut = None  # the grammar decides where a constrained output ends, not stop strings
    else:
        text = decode(row.tokens)
        cut = row.stops.find(text)
    if cut is not None:
        row.finish("stop", text[:cut])
    elif len(row.tokens) >= row.job.max_tokens:
        row.finish("length", text)  # a constrained row cut here is never reported as a complete match
    else:
        # a trailing U+FFFD is a multi-byte character cut in half: wait for its other bytes
        safe = row.stops.safe_length(text.rstrip("\ufffd"))
        row._emit_upto(text, safe)
