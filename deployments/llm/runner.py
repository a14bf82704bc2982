"""The model's forward passes for continuous batching: new rows' prefill, one token for every row.

`ModelRunner` owns the transformers model, the per-row KV cache (`SlotCache`) and the prefix cache.
It calls the model's inner decoder (`model.model`) with explicit positions and a prepared 4D mask,
then the LM head on each row's last position only (a 49k-token head over every prompt position is
wasted work). Rows are addressed by slot; the engine keeps slots dense (`0..n-1`). With Medici's Llama decoder, the
requests that join at one step are prefilled together in one forward (`LlamaDecoder.prefill`): their
projections run once over all their new tokens; otherwise each is prefilled alone.
"""

from __future__ import annotations

import torch

from deployments.llm.cuda_graphs import BucketedDecode, Capture, CudaCapture, buckets_up_to
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
        self.graphs: BucketedDecode | None = None

    def use_graphs(self, max_rows: int, capture: Capture | None = None, pad_token: int = 0,
                   column_multiple: int = 512) -> None:
        """Decode steps of up to ``max_rows`` rows through captured graphs, one per bucket (`cuda_graphs`);
        ``capture``: `CudaCapture` by default, `cuda_graphs.eager_stand_in` to run the same logic without a
        GPU. The cache grows by ``column_multiple`` columns at a time, since each growth recaptures."""
        self.graphs = BucketedDecode(self._step, buckets_up_to(max_rows), self.device, capture or CudaCapture(), pad_token)
        self.cache.column_multiple = max(self.cache.column_multiple, column_multiple)

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self._head(hidden).float()

    @torch.inference_mode()
    def add(self, prompts: list[list[int]], columns: list[int]) -> tuple[torch.Tensor, list[int]]:
        """Prefill each prompt into a new slot with room for its ``columns`` tokens.

        Returns the last position's logits ``[prompts, vocab]`` and each prompt's tokens found in the
        prefix cache."""
        first = self.rows
        if not hasattr(self._decoder, "prefill"):  # transformers' forward: one prompt per forward
            try:
                outs = [self._add_alone(prompt, width) for prompt, width in zip(prompts, columns)]
            except BaseException:
                del self.lengths[first:]  # all of them or none join
                raise
            return torch.cat([logits for logits, _ in outs]), [cached for _, cached in outs]
        self.cache.reserve(first + len(prompts), max(columns))
        segments, ids, positions, cached = [], [], [], []
        for k, prompt in enumerate(prompts):
            start = self._reuse_prefix(first + k, prompt)
            position = torch.arange(start, len(prompt), device=self.device)
            segments.append((first + k, start, len(prompt) - start, causal_mask(position, len(prompt))))
            ids += prompt[start:]
            positions.append(position)
            cached.append(start)
        self.lengths += [len(prompt) for prompt in prompts]
        try:
            hidden = self._decoder.prefill(torch.tensor([ids], dtype=torch.long, device=self.device),
                                           torch.cat(positions)[None], segments, self.cache)
            ends = torch.tensor([len(p) - c for p, c in zip(prompts, cached)], device=self.device).cumsum(0) - 1
            logits = self._logits(hidden[0, ends])
        except BaseException:
            del self.lengths[first:]  # all of them or none join
            raise
        for k, prompt in enumerate(prompts):
            self._remember_prefix(first + k, prompt)
        return logits, cached

    def _reuse_prefix(self, slot: int, prompt: list[int]) -> int:
        """Copy the prompt's cached prefix blocks into ``slot``; returns how many tokens they cover."""
        start = 0
        for block in self.prefix.lookup(prompt):
            self.cache.write(slot, start, block)
            start += block.shape[3]
        return start

    def _remember_prefix(self, slot: int, prompt: list[int]) -> None:
        if self.prefix.max_tokens > 0:
            self.prefix.insert(prompt, lambda a, b: self.cache.read(slot, a, b))

    def _add_alone(self, prompt: list[int], columns: int) -> tuple[torch.Tensor, int]:
        """One prompt's prefill through the model's own forward call (a 4D mask and the slot cache)."""
        slot = self.rows
        self.cache.reserve(slot + 1, columns)
        start = self._reuse_prefix(slot, prompt)
        self.lengths.append(len(prompt))
        try:
            ids = torch.tensor([prompt[start:]], dtype=torch.long, device=self.device)
            positions = torch.arange(start, len(prompt), device=self.device)
            self.cache.prefill_mode(slot, start, len(prompt) - start)
            hidden = self._decoder(
                input_ids=ids, position_ids=positions[None], attention_mask=causal_mask(positions, len(prompt)),
                past_key_values=self.cache, use_cache=True,
            ).last_hidden_state
        except BaseException:
            self.lengths.pop()
            raise
        self._remember_prefix(slot, prompt)
        return self._logits(hidden[:, -1]), start

    @torch.inference_mode()
    def decode(self, tokens: list[int]) -> torch.Tensor:
        """One step for every slot: ``tokens[i]`` is slot i's newest token; returns ``[rows, vocab]`` logits."""
        n = self.rows
        needed = max(self.lengths) + 1
        logits = self._graphed(tokens, needed) if self.graphs is not None else None
        if logits is None:  # no graphs, or a step they do not cover: eager, over the columns in use
            if needed > self.cache.columns:
                self.cache.reserve(n, needed)
            positions = torch.tensor(self.lengths, dtype=torch.long, device=self.device)
            ids = torch.tensor(tokens, dtype=torch.long, device=self.device)
            logits = self._step(ids, positions, needed)
        for i in range(n):
            self.lengths[i] += 1
        return logits

    def _step(self, ids: torch.Tensor, positions: torch.Tensor, width: int | None = None) -> torch.Tensor:
        """One token for each of slots ``0..len(ids)-1`` at ``positions``, attending over ``width`` columns
        (None: every column of the cache, as a captured graph does); the step's ``[rows, vocab]`` logits."""
        width = self.cache.columns if width is None else width
        cols = torch.arange(width, device=self.device)
        mask = (cols[None, :] <= positions[:, None])[:, None, None, :]
        self.cache.decode_mode(ids.shape[0], positions, width)
        hidden = self._decoder(
            input_ids=ids[:, None], position_ids=positions[:, None], attention_mask=mask, past_key_values=self.cache,
            use_cache=True,
        ).last_hidden_state
        return self._logits(hidden[:, -1])

    def _graphed(self, tokens: list[int], needed: int) -> torch.Tensor | None:
        """The step through its bucket's graph, or None (more rows than the largest bucket, a failed capture)."""
        graphs = self.graphs
        if graphs.bucket(len(tokens)) is None:
            return None
        # every slot a bucket may pad into, reserved once, so that the graphs' buffer stays where it is
        self.cache.reserve(graphs.largest, needed)
        if hasattr(self._decoder, "ensure_rotary"):
            self._decoder.ensure_rotary(self.cache.columns)
        rotary = getattr(self._decoder, "_cos", None)
        graphs.set_key((self.cache.kv.data_ptr(), tuple(self.cache.kv.shape), None if rotary is None else rotary.data_ptr()))
        return graphs.run(tokens, self.lengths)

    @torch.inference_mode()
    def remove(self, slot: int) -> int:
        """Free ``slot``; the last row moves into it. Returns the slot that moved (== ``slot`` if none)."""
        last = self.rows - 1
        self.cache.move(last, slot, self.lengths[last])
        self.lengths[slot] = self.lengths[last]
        self.lengths.pop()
        return last

    def release_if_empty(self) -> bool:
        """Free the KV buffer when no row runs (the engine calls this once it has been idle a while, not
        each time the batch empties: back-to-back requests would otherwise reallocate and zero it)."""
        if self.lengths or self.cache.kv is None or self.graphs is not None:  # graphs read the buffer in place
            return False
        self.cache.release()
        return True


def causal_mask(positions: torch.Tensor, length: int) -> torch.Tensor:
    """``[1, 1, new tokens, length]``: each new token (at ``positions``) sees the prompt up to itself."""
    columns = torch.arange(length, device=positions.device)
    return (columns[None, :] <= positions[:, None])[None, None]
