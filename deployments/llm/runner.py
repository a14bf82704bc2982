"""The model's forward passes for continuous batching: one row's prefill, one token for every row.

`ModelRunner` owns the transformers model, the per-row KV cache (`SlotCache`) and the prefix cache.
It calls the model's inner decoder (`model.model`) with explicit positions and a prepared 4D mask,
then the LM head on each row's last position only (a 49k-token head over every prompt position is
wasted work). Rows are addressed by slot; the engine keeps slots dense (`0..n-1`).
"""

from __future__ import annotations

import torch

from deployments.llm.kv_cache import SlotCache
from deployments.llm.prefix_cache import PrefixCache


class ModelRunner:
    """Prefill and decode over a slot cache; the only code that runs the model."""

    def __init__(self, model, device: torch.device, prefix_cache_tokens: int = 0, block_size: int = 16) -> None:
        self.model = model
        self.device = device
        config = model.config
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
        dtype = next(model.parameters()).dtype
        self.cache = SlotCache(config.num_hidden_layers, kv_heads, head_dim, dtype, device)
        self.prefix = PrefixCache(prefix_cache_tokens, block_size)
        self.lengths: list[int] = []  # tokens stored per slot
        self._decoder = model.model
        self._head = model.get_output_embeddings()

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self._head(hidden).float()

    @torch.inference_mode()
    def add(self, prompt: list[int], columns: int) -> tuple[torch.Tensor, int]:
        """Prefill ``prompt`` into a new slot with room for ``columns`` tokens: (last logits, cached tokens)."""
        slot = self.rows
        self.cache.reserve(slot + 1, columns)
        blocks = self.prefix.lookup(prompt)
        start = 0
        for block in blocks:
            self.cache.write(slot, start, block)
            start += block.shape[3]
        rest = prompt[start:]
        self.lengths.append(len(prompt))
        try:
            ids = torch.tensor([rest], dtype=torch.long, device=self.device)
            positions = torch.arange(start, len(prompt), device=self.device)
            cols = torch.arange(len(prompt), device=self.device)
            mask = (cols[None, :] <= positions[:, None])[None, None]  # causal, over cached + new tokens
            self.cache.prefill_mode(slot, start, len(rest))
            hidden = self._decoder(
                input_ids=ids, position_ids=positions[None], attention_mask=mask, past_key_values=self.cache, use_cache=True
            ).last_hidden_state
        except BaseException:
            self.lengths.pop()
            raise
        if self.prefix.max_tokens > 0:
            self.prefix.insert(prompt, lambda a, b: self.cache.read(slot, a, b))
        return self._logits(hidden[:, -1]), start

    @torch.inference_mode()
    def decode(self, tokens: list[int]) -> torch.Tensor:
        """One step for every slot: ``tokens[i]`` is slot i's newest token; returns ``[rows, vocab]`` logits."""
        n = self.rows
        needed = max(self.lengths) + 1
        if needed > self.cache.columns:
            self.cache.reserve(n, needed)
        positions = torch.tensor(self.lengths, dtype=torch.long, device=self.device)
        cols = torch.arange(needed, device=self.device)
        mask = (cols[None, :] <= positions[:, None])[:, None, None, :]
        self.cache.decode_mode(n, positions, needed)
        ids = torch.tensor(tokens, dtype=torch.long, device=self.device)[:, None]
        hidden = self._decoder(
            input_ids=ids, position_ids=positions[:, None], attention_mask=mask, past_key_values=self.cache, use_cache=True
        ).last_hidden_state
        for i in range(n):
            self.lengths[i] += 1
        return self._logits(hidden[:, -1])

    @torch.inference_mode()
    def remove(self, slot: int) -> int:
        """Free ``slot``; the last row moves into it. Returns the slot that moved (== ``slot`` if none)."""
        last = self.rows - 1
        self.cache.move(last, slot, self.lengths[last])
        self.lengths[slot] = self.lengths[last]
        self.lengths.pop()
        if not self.lengths:
            self.cache.release()
        return last
