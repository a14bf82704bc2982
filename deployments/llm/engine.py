"""The generation engine: one transformers model decoding a batch of requests in one `generate`.

Each request keeps its own sampling parameters, seed, stop strings, token budget and choice trie:
transformers' `generate` handles the batch (left padding, KV cache, finished rows), while one
logits processor and one stopping criterion apply the per-row rules at every decode step. The
stopping criterion is also the per-step hook that streams text out and honours cancellation.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, StoppingCriteria

from deployments.llm.guided import ChoiceTrie
from deployments.llm.jobs import GenerationJob
from deployments.llm.stops import StopMatcher

logger = logging.getLogger("ray.serve")

class _Row:
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


def _sample(logits: torch.Tensor, row: _Row) -> int:
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


class _RowSampler(LogitsProcessor):
    """Chooses each row's next token by its own rules and forces it, so `generate`'s greedy pick agrees."""

    def __init__(self, rows: list[_Row], eos_ids: set[int]) -> None:
        self.rows = rows
        self.eos_ids = sorted(eos_ids)
        self.eos_id = self.eos_ids[0]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        forced = torch.full_like(scores, float("-inf"))
        for i, row in enumerate(self.rows):
            logits = scores[i]
            if row.trie is not None and not row.done:
                allowed = row.trie.allowed() + (self.eos_ids if row.trie.can_end() else [])
                mask = torch.full_like(logits, float("-inf"))
                mask[allowed] = 0.0
                logits = logits + mask
            elif row.job.ignore_eos:
                logits = logits.clone()
                logits[self.eos_ids] = float("-inf")
            token = self.eos_id if row.done else _sample(logits, row)
            forced[i, token] = 0.0
        return forced


class _RowStopper(StoppingCriteria):
    """After each step: record the new token, stream text, and say which rows are finished."""

    def __init__(self, rows: list[_Row], eos_ids: set[int], decode: Callable[[list[int]], str]) -> None:
        self.rows = rows
        self.eos_ids = eos_ids
        self.decode = decode

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        new_tokens = input_ids[:, -1].tolist()
        for row, token in zip(self.rows, new_tokens):
            if not row.done:
                self._step(row, token)
        return torch.tensor([row.done for row in self.rows], device=input_ids.device)

    def _step(self, row: _Row, token: int) -> None:
        if row.job.cancelled.is_set():
            row.finish("cancelled", self.decode(row.tokens))
            return
        if token in self.eos_ids:
            row.finish("stop", row.trie.choice if row.trie and row.trie.choice else self.decode(row.tokens))
            return
        row.tokens.append(token)
        if row.trie is not None:
            row.trie.advance(token)
            if row.trie.must_end():
                row.finish("stop", row.trie.choice or "")
                return
        text = self.decode(row.tokens)
        cut = row.stops.find(text)
        if cut is not None:
            row.finish("stop", text[:cut])
        elif len(row.tokens) >= row.job.max_tokens:
            row.finish("length", text)
        elif row.trie is None:
            # a trailing U+FFFD is a multi-byte character cut in half: wait for its other bytes
            safe = row.stops.safe_length(text.rstrip("\ufffd"))
            row._emit_upto(text, safe)


class Engine:
    """Holds the model and tokenizer; `generate` runs one batch to completion (blocking)."""

    def __init__(self, model, tokenizer, device: torch.device) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        eos = model.generation_config.eos_token_id or tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        self.eos_id = min(self.eos_ids)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        self.context_length = int(getattr(model.config, "max_position_embeddings", 2048))

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def chat_prompt(self, messages: list[dict]) -> list[int]:
        encoded = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        return list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)

    @torch.inference_mode()
    def generate(self, jobs: list[GenerationJob]) -> list[GenerationJob]:
        """Decode every job together; each job ends by its own rule and gets its text and reason."""
        started = time.perf_counter()
        rows = [_Row(job, self.encode, self.device) for job in jobs]
        input_ids, attention_mask = self._left_pad([job.prompt_ids for job in jobs])
        config = GenerationConfig(
            max_new_tokens=max(job.max_tokens for job in jobs) + 1,  # +1: room for a final EOS
            do_sample=False,
            eos_token_id=list(self.eos_ids),
            pad_token_id=self.pad_id,
        )
        self.model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            generation_config=config,
            logits_processor=LogitsProcessorList([_RowSampler(rows, self.eos_ids)]),
            stopping_criteria=[_RowStopper(rows, self.eos_ids, self.decode)],
        )
        for row in rows:
            if not row.done:  # generate ended on its own token budget
                row.finish("length", self.decode(row.tokens))
        tokens = sum(job.completion_tokens for job in jobs)
        elapsed = time.perf_counter() - started
        logger.info("batch of %d: %d tokens in %.2fs (%.1f tok/s)", len(jobs), tokens, elapsed, tokens / elapsed)
        return jobs

    def _left_pad(self, prompts: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, prompt in enumerate(prompts):
            ids[i, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
            mask[i, width - len(prompt) :] = 1
        return ids.to(self.device), mask.to(self.device)
