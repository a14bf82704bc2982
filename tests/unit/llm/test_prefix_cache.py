"""The prefix cache alone: whole blocks keyed by token ids, LRU eviction within its token bound, hit rate."""

from __future__ import annotations

import torch

from deployments.llm.prefix_cache import PrefixCache


def _reader(prompt: list[int]):
    return lambda start, end: torch.tensor(prompt[start:end], dtype=torch.float32).reshape(1, 1, 1, -1, 1)


def test_a_prompt_reuses_its_longest_cached_run_of_blocks_and_keeps_its_last_token() -> None:
    cache = PrefixCache(max_tokens=64, block_size=4)
    prompt = list(range(10))
    assert cache.lookup(prompt) == []
    cache.insert(prompt, _reader(prompt))  # blocks 0-3 and 4-7
    again = cache.lookup(prompt + [99])
    assert [b.flatten().tolist() for b in again] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [b.flatten().tolist() for b in cache.lookup(list(range(8)))] == [[0, 1, 2, 3]]  # last token computed
    assert cache.lookup([0, 1, 2, 9, 4, 5]) == []  # keyed by the whole prefix, not the block alone
    assert cache.hits == 8 + 4 and cache.queries == 10 + 11 + 8 + 6
    assert abs(cache.hit_rate - 12 / 35) < 1e-9


def test_the_least_recently_used_prefix_is_evicted_first_and_leaves_before_parents() -> None:
    cache = PrefixCache(max_tokens=12, block_size=4)
    a, b = [1] * 9, [2] * 9
    cache.insert(a, _reader(a))  # 2 blocks
    cache.insert(b, _reader(b))  # 2 more: 16 tokens > 12, so a's longer block goes first
    assert cache.tokens == 12
    assert len(cache.lookup(a)) == 1 and len(cache.lookup(b)) == 2


def test_a_zero_bound_turns_it_off() -> None:
    cache = PrefixCache(max_tokens=0, block_size=4)
    cache.insert(list(range(9)), _reader(list(range(9))))
    assert cache.tokens == 0 and cache.lookup(list(range(9))) == []
