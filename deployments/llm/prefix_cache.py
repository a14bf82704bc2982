"""Prefix cache: the keys and values of prompt prefixes already prefilled, reused by later prompts.

Like vLLM's automatic prefix caching, prompts are cut into fixed blocks of tokens and a block is
keyed by every token id up to its end, so a hit means the whole prefix is identical (no hash
collisions: the key is the token tuple itself). A prompt reuses its longest run of cached blocks
from the start and prefills only the rest. Entries are evicted least-recently-used first, bounded by
a number of tokens; a lookup touches a prompt's blocks from the last to the first so that, of a
chain, the longest prefixes are evicted first and a kept block's parent is never gone.
"""

from __future__ import annotations

from collections import OrderedDict

import torch


class PrefixCache:
    """LRU map from token-id prefixes (whole blocks) to their KV blocks."""

    def __init__(self, max_tokens: int, block_size: int = 16) -> None:
        self.max_tokens = max_tokens
        self.block_size = block_size
        self._blocks: OrderedDict[tuple[int, ...], torch.Tensor] = OrderedDict()
        self.queries = 0  # prompt tokens looked up
        self.hits = 0  # of which found in the cache

    @property
    def tokens(self) -> int:
        return len(self._blocks) * self.block_size

    @property
    def hit_rate(self) -> float:
        return self.hits / self.queries if self.queries else 0.0

    def lookup(self, prompt: list[int]) -> list[torch.Tensor]:
        """The cached blocks that start ``prompt``, in order; at least its last token is left to compute."""
        if self.max_tokens <= 0:
            return []
        found: list[tuple[tuple[int, ...], torch.Tensor]] = []
        size = self.block_size
        for end in range(size, len(prompt), size):  # `< len`: the last token's logits are always computed
            key = tuple(prompt[:end])
            block = self._blocks.get(key)
            if block is None:
                break
            found.append((key, block))
        for key, _ in reversed(found):
            self._blocks.move_to_end(key)
        self.queries += len(prompt)
        self.hits += len(found) * size
        return [block for _, block in found]

    def insert(self, prompt: list[int], read_block) -> int:
        """Store the prompt's whole blocks not yet cached; ``read_block(start, end)`` copies one out."""
        if self.max_tokens < self.block_size:
            return 0
        added = []
        for end in range(self.block_size, len(prompt) + 1, self.block_size):
            key = tuple(prompt[:end])
            if key not in self._blocks:
                self._blocks[key] = read_block(end - self.block_size, end)
            added.append(key)
        for key in reversed(added):
            self._blocks.move_to_end(key)
        while self.tokens > self.max_tokens:
            self._blocks.popitem(last=False)
        return len(added)

    def clear(self) -> None:
        self._blocks.clear()
