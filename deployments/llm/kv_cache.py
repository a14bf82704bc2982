"""The KV cache of the running batch: one slot per row, each row's keys and values at its own positions.

Hand-written because transformers' caches share one write position across the batch (DynamicCache,
StaticCache), while continuous batching needs rows of different lengths that join and leave at any
step. The model only calls `update(keys, values, layer_idx)`, so any object with that method can
stand in for a `Cache`; the attention mask is passed as a prepared 4D mask, which transformers uses
as it is.

Layout: one tensor ``[layers, 2, slots, kv_heads, columns, head_dim]``. Running rows occupy slots
``0..n-1`` (a leaving row's slot is filled by the last row), so a decode step attends over the views
``[:n, :, :width]`` without copying. Slots and columns grow (rounded up) when a row needs them and the buffer is
dropped when the batch empties, so memory follows the work in flight.
"""

from __future__ import annotations

import torch


class SlotCache:
    """Per-row KV storage; `prefill_mode` or `decode_mode` says where the next forward writes."""

    def __init__(self, layers: int, kv_heads: int, head_dim: int, dtype: torch.dtype, device: torch.device) -> None:
        self.shape = (layers, kv_heads, head_dim)
        self.dtype = dtype
        self.device = device
        self.kv: torch.Tensor | None = None
        self._mode: tuple = ("none",)
        self.column_multiple = 128  # columns grow in these steps (more with CUDA graphs: each growth recaptures)

    # --- capacity --------------------------------------------------------------------------
    @property
    def slots(self) -> int:
        return 0 if self.kv is None else self.kv.shape[2]

    @property
    def columns(self) -> int:
        return 0 if self.kv is None else self.kv.shape[4]

    def reserve(self, slots: int, columns: int) -> None:
        """Make room for ``slots`` rows of ``columns`` tokens, keeping what is stored."""
        if slots <= self.slots and columns <= self.columns:
            return
        # rounded up, not doubled: the scheduler bounds slots x columns, and growth is rare (on admission)
        new_slots = max(self.slots, -(-slots // 4) * 4)
        new_cols = max(self.columns, -(-columns // self.column_multiple) * self.column_multiple)
        layers, heads, dim = self.shape
        kv = torch.zeros((layers, 2, new_slots, heads, new_cols, dim), dtype=self.dtype, device=self.device)
        if self.kv is not None:
            kv[:, :, : self.slots, :, : self.columns] = self.kv
        self.kv = kv

    def release(self) -> None:
        """Free the buffer (the batch is empty)."""
        self.kv = None

    def bytes(self) -> int:
        return 0 if self.kv is None else self.kv.numel() * self.kv.element_size()

    # --- rows ------------------------------------------------------------------------------
    def move(self, src: int, dst: int, length: int) -> None:
        """Copy slot ``src``'s first ``length`` columns into slot ``dst`` (a leaving row's place)."""
        if src != dst and length > 0:
            self.kv[:, :, dst, :, :length] = self.kv[:, :, src, :, :length]

    def read(self, slot: int, start: int, end: int) -> torch.Tensor:
        """A copy of columns ``start..end`` of one slot: ``[layers, 2, heads, end-start, dim]``."""
        return self.kv[:, :, slot, :, start:end].clone()

    def write(self, slot: int, start: int, block: torch.Tensor) -> None:
        self.kv[:, :, slot, :, start : start + block.shape[3]] = block

    # --- the forward's view ----------------------------------------------------------------
    def prefill_mode(self, slot: int, start: int, length: int) -> None:
        """The next forward is one row's prompt tokens ``start..start+length`` in ``slot``."""
        self._mode = ("prefill", slot, start, length)

    def decode_mode(self, rows: int, positions: torch.Tensor, width: int) -> None:
        """The next forward is one token for each of slots ``0..rows-1``, at ``positions``."""
        self._mode = ("decode", rows, positions, torch.arange(rows, device=self.device), width)

    def decode_view(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int, int] | None:
        """In decode mode: (the whole buffer, slot per row, column per row, rows, width) for a forward that
        writes and reads the cache itself (`decode_step.decode_layers`); None otherwise."""
        if self._mode[0] != "decode":
            return None
        _, rows, positions, index, width = self._mode
        return self.kv, index, positions, rows, width

    def update(self, keys: torch.Tensor, values: torch.Tensor, layer_idx: int, *args, **kwargs):
        """Store the new keys and values; return what the layer attends over (the Cache contract)."""
        layer = self.kv[layer_idx]
        if self._mode[0] == "prefill":
            _, slot, start, length = self._mode
            layer[0, slot, :, start : start + length] = keys[0]
            layer[1, slot, :, start : start + length] = values[0]
            return layer[0, slot : slot + 1, :, : start + length], layer[1, slot : slot + 1, :, : start + length]
        _, rows, positions, index, width = self._mode
        layer[0, index, :, positions] = keys[:, :, 0]
        layer[1, index, :, positions] = values[:, :, 0]
        return layer[0, :rows, :, :width], layer[1, :rows, :, :width]

    # transformers may ask a cache these; the prepared 4D mask makes their answers unused
    def get_seq_length(self, layer_idx: int = 0) -> int:
        return 0

    @property
    def is_compileable(self) -> bool:
        return False
