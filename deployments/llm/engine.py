"""The generation engine: one transformers model decoding a batch of requests in one `generate`.

transformers' `generate` handles the batch (left padding, KV cache, finished rows), while one
logits processor and one stopping criterion apply the per-row rules of `rows.py` at every decode
step. The stopping criterion is also the per-step hook that streams text out and honours cancellation.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, StoppingCriteria

from deployments.llm.jobs import GenerationJob
from deployments.llm.rows import Row, advance_rows, pick_tokens

logger = logging.getLogger("ray.serve")


class _RowSampler(LogitsProcessor):
    """Chooses each row's next token by its own rules and forces it, so `generate`'s greedy pick agrees."""

    def __init__(self, rows: list[Row], eos_ids: set[int]) -> None:
        self.rows = rows
        self.eos_ids = sorted(eos_ids)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        forced = torch.full_like(scores, float("-inf"))
        for i, token in enumerate(pick_tokens(self.rows, scores, self.eos_ids)):
            forced[i, token] = 0.0
        return forced


class _RowStopper(StoppingCriteria):
    """After each step: record the new token, stream text, and say which rows are finished."""

    def __init__(self, rows: list[Row], eos_ids: set[int], decode: Callable[[list[int]], str]) -> None:
        self.rows = rows
        self.eos_ids = eos_ids
        self.decode = decode

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        done = advance_rows(self.rows, input_ids[:, -1].tolist(), self.eos_ids, self.decode)
        return torch.tensor(done, device=input_ids.device)


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
        rows = [Row(job, self.encode, self.device) for job in jobs]
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
