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
        # on the CPU whatever the model's device: `pick_tokens` draws each row's number there and sends them together
        self.generator = torch.Generator()
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


def _draw(probs: torch.Tensor, generator: torch.Generator) -> int:
    """One index drawn with probability ``probs`` (unnormalised is fine): `_draw_rows` for one row."""
    uniform = torch.rand(1, generator=generator, device=generator.device, dtype=probs.dtype).to(probs.device)
    return int(_draw_rows(probs[None], uniform)[0])


def _draw_rows(probs: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
    """One index per row of ``probs`` [rows, vocab], by inverse CDF at the row's ``uniform`` number in [0, 1).

    Hand-written rather than `torch.multinomial`, which on the CPU draws far more random numbers than one
    per sample and costs a millisecond over a 49k vocabulary, per row and step. A zero-probability index
    (a masked token) is never drawn: its cumulative sum equals its predecessor's, and where ``u * total``
    rounds up to the total itself the row's last allowed index is taken."""
    cdf = torch.cumsum(probs, dim=-1)
    target = uniform.to(cdf.dtype)[:, None] * cdf[:, -1:]
    index = torch.searchsorted(cdf, target, right=True)[:, 0]
    vocab = probs.shape[-1]
    clamped = index.clamp(max=vocab - 1)
    ok = (index < vocab) & (probs.gather(1, clamped[:, None])[:, 0] > 0)
    if probs.device.type == "cpu" and bool(ok.all()):
        # the usual case, read without a device sync on the CPU: no row needs its last allowed index, whose
        # search reads every probability again (a third of the draw's time over a 49k vocabulary)
        return clamped
    last = vocab - 1 - (probs > 0).flip(-1).to(torch.uint8).argmax(-1)
    return torch.where(ok, clamped, last)


def _sample_rows(logits: torch.Tensor, rows: list[Row]) -> torch.Tensor:
    """One token per row at the row's temperature and top-p, each drawn with the row's own seeded generator;
    every row at once on the logits' device."""
    device = logits.device
    temperatures = torch.tensor([row.job.temperature for row in rows], dtype=torch.float32, device=device)
    probs = torch.softmax(logits.float() / temperatures[:, None], dim=-1)
    nucleus = [k for k, row in enumerate(rows) if row.job.top_p < 1.0]
    if nucleus:
        which = torch.tensor(nucleus, device=device)
        part = probs[which]
        sorted_probs, order = torch.sort(part, dim=-1, descending=True)
        top_p = torch.tensor([rows[k].job.top_p for k in nucleus], dtype=torch.float32, device=device)
        keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < top_p[:, None]
        keep[:, 0] = True  # a top_p below float32's range (5e-324 is 0) kept nothing: NaN, a failed batch
        probs[which] = torch.zeros_like(part).scatter(1, order, sorted_probs * keep)
    # one number per row from its own generator (on the CPU: no device launch per row), sent over at once
    uniform = torch.cat([torch.rand(1, generator=row.generator, dtype=torch.float32) for row in rows])
    return _draw_rows(probs, uniform.to(device))


def _penalised(logits: torch.Tensor, row: Row) -> torch.Tensor:
    """OpenAI's presence and frequency penalties over the tokens this row generated so far."""
    job = row.job
    if not row.tokens or (job.presence_penalty == 0.0 and job.frequency_penalty == 0.0):
        return logits
    counts = torch.bincount(torch.tensor(row.tokens, device=logits.device), minlength=logits.shape[-1])
    counts = counts[: logits.shape[-1]].to(logits.dtype)
    return logits - job.frequency_penalty * counts - job.presence_penalty * (counts > 0).to(logits.dtype)


def _forbidden(rows: list[Row], vocab: int, eos_ids: list[int]) -> torch.Tensor | None:
    """``[rows, vocab]``, True where a row may not pick a token: what its grammar forbids (EOS allowed exactly
    when the match is complete; a dead end, never under the mask, allows only EOS so the row ends, reported as
    unmet), EOS for an ``ignore_eos`` row; None when no row forbids anything. Built on the CPU, all grammar
    masks in one call."""
    constrained = [k for k, row in enumerate(rows) if row.constraint is not None]
    ignoring = [k for k, row in enumerate(rows) if row.constraint is None and row.job.ignore_eos]
    if not constrained and not ignoring:
        return None
    forbid = torch.zeros(len(rows), vocab, dtype=torch.bool)
    eos = torch.tensor(eos_ids)
    if constrained:
        masks = batch_masks([rows[k].constraint for k in constrained])
        allowed = torch.zeros(len(constrained), vocab, dtype=torch.bool)
        width = min(masks.shape[1], vocab)  # a model may pad its vocabulary past the tokenizer's
        allowed[:, :width] = torch.from_numpy(masks[:, :width])
        can_end = torch.tensor([rows[k].constraint.can_end() for k in constrained])
        allowed[:, eos] = can_end[:, None].expand(-1, len(eos_ids))
        dead = ~allowed.any(1)
        allowed[:, eos] |= dead[:, None]
        forbid[torch.tensor(constrained)] = ~allowed
    if ignoring:
        forbid[torch.tensor(ignoring)[:, None], eos[None, :]] = True
    return forbid


def _logprob(logits: torch.Tensor, token: int, k: int) -> TokenLogprob:
    """Logprobs of the model's own distribution (before penalties and masks), as vLLM reports them."""
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    top = torch.topk(logprobs, k) if k > 0 else None
    pairs = list(zip(top.indices.tolist(), top.values.tolist())) if top is not None else []
    return TokenLogprob(token, float(logprobs[token]), pairs)


def pick_tokens(rows: list[Row], scores: torch.Tensor, eos_ids: list[int]) -> list[int]:
    """Each row's next token from its row of ``scores``, by its own rules (a finished row gets EOS).

    Batched on ``scores``' device: penalties (rows that have them), one mask of forbidden tokens for every
    constrained or ``ignore_eos`` row (with no constrained row, only the ``ignore_eos`` rows' EOS entries set,
    which costs a copy of the scores rather than a mask as large), one argmax for the greedy rows and one draw
    for the sampled ones, and a single read-back of the chosen tokens; only logprobs, when asked for, are
    computed row by row."""
    tokens = [eos_ids[0]] * len(rows)
    live = [i for i, row in enumerate(rows) if not row.done]
    if not live:
        return tokens
    device = scores.device
    logits = scores if len(live) == len(rows) else scores[torch.tensor(live, device=device)]
    active = [rows[i] for i in live]
    penalised = [k for k, row in enumerate(active) if row.tokens and (row.job.presence_penalty or row.job.frequency_penalty)]
    if penalised:
        logits = logits.clone() if logits is scores else logits
        for k in penalised:
            logits[k] = _penalised(logits[k], active[k])
    if any(row.constraint is not None for row in active):
        forbid = _forbidden(active, logits.shape[-1], eos_ids)
        if forbid is not None:
            logits = logits.masked_fill(forbid.to(device), float("-inf"))
    else:  # only ignore_eos rows forbid anything: their EOS logits set directly, no [rows, vocab] mask built
        ignoring = [k for k, row in enumerate(active) if row.job.ignore_eos]
        if ignoring:
            logits = logits.clone() if logits is scores else logits  # ``scores`` stay the model's (logprobs)
            which, eos = torch.tensor(ignoring, device=device), torch.tensor(eos_ids, device=device)
            logits[which[:, None], eos[None, :]] = float("-inf")
    greedy = [k for k, row in enumerate(active) if row.job.temperature < _GREEDY_BELOW]
    sampled = [k for k, row in enumerate(active) if row.job.temperature >= _GREEDY_BELOW]
    if not sampled:
        chosen = logits.argmax(-1)
    else:
        chosen = torch.empty(len(active), dtype=torch.long, device=device)
        if greedy:
            which = torch.tensor(greedy, device=device)
            chosen[which] = logits[which].argmax(-1)
        which = torch.tensor(sampled, device=device)
        chosen[which] = _sample_rows(logits[which] if greedy else logits, [active[k] for k in sampled])
    for i, row, token in zip(live, active, chosen.tolist()):
        row.pending = _logprob(scores[i], token, row.job.logprobs) if row.job.logprobs is not None else None
        tokens[i] = token
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
