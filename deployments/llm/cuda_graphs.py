"""CUDA graphs for the decode step: one captured graph per batch-size bucket, replayed for the running rows.

On a GPU a small model's decode step is bound by launching its kernels, not by running them: a few hundred
small kernels per step, each launched from Python. A CUDA graph records the whole step once and replays it
with one launch. A graph fixes every shape and address, so:

- the step is captured per bucket of row counts (1, 2, 4, 8, 16, 24, 32, 48, 64, ...); a step of ``n`` rows runs
  the smallest bucket ``>= n``, its rows ``n..bucket-1`` padded (token ``pad_token`` at position 0, in slots
  that no running row holds, so what they write is overwritten by the next prefill of that slot and what
  they compute is dropped);
- the step reads its inputs (token and position per row) from static buffers that each replay refills;
- it attends over every column of the preallocated slot cache (the mask hides the columns past each row's
  position), and the graphs are dropped and captured again when that cache is reallocated (`set_key`);
- prefills and steps with more rows than the largest bucket run eagerly, and so does a bucket whose capture
  failed (a warning says so, once per bucket).

The bucketing, padding and replay logic is plain Python over a ``capture`` callable: `cuda_capture` records
a `torch.cuda.CUDAGraph`; `eager_stand_in` calls the step itself, which lets the CPU tests check that the
padded, bucketed steps give the tokens of unbucketed decoding (tests/unit/llm/test_cuda_graphs.py).
Hand-written because torch offers the graph primitive but not the per-bucket replay around a slot cache
(vLLM's is part of its own server; torch.compile's "reduce-overhead" mode recompiles for each new shape).
"""

from __future__ import annotations

import logging
from typing import Callable, Hashable, Sequence

import torch

logger = logging.getLogger("ray.serve")

BUCKETS = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256)

Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (ids [B], positions [B]) -> logits [B, vocab]
Replay = Callable[[], torch.Tensor]
Capture = Callable[[Callable[[], torch.Tensor]], Replay]


def buckets_up_to(max_rows: int, sizes: Sequence[int] = BUCKETS) -> list[int]:
    """The bucket sizes a batch of at most ``max_rows`` rows uses (``max_rows`` itself the largest)."""
    out = [size for size in sizes if size < max_rows]
    return out + [max_rows]


def bucket_for(rows: int, buckets: Sequence[int]) -> int | None:
    """The smallest bucket holding ``rows`` rows; None past the largest (that step runs eagerly)."""
    return next((size for size in buckets if size >= rows), None)


def eager_stand_in(fn: Callable[[], torch.Tensor]) -> Replay:
    """A capture that records nothing: each replay runs ``fn`` again over the same static buffers. Used on the
    CPU, where there is no graph to capture, so the bucketing and padding run as on the GPU."""
    return fn


class CudaCapture:
    """Records ``fn`` as a CUDA graph (warm-up runs on a side stream first, as torch's docs ask); every graph
    shares one memory pool (their replays never overlap: one decoding thread). The warm-up runs execute ``fn``
    on whatever its static inputs hold, so they must hold a real step's inputs (`BucketedDecode` sees to it)."""

    def __init__(self) -> None:
        self.pool = None

    def __call__(self, fn: Callable[[], torch.Tensor]) -> Replay:
        if self.pool is None:
            self.pool = torch.cuda.graph_pool_handle()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):  # kernels' lazy initialisation (cuBLAS workspaces, autotuning) outside the graph
                fn()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool):
            out = fn()

        def replay() -> torch.Tensor:
            graph.replay()
            return out

        return replay


class BucketedDecode:
    """Decode steps through one replayable step per bucket; `run` returns None where the step must run eagerly."""

    def __init__(self, step: Step, buckets: Sequence[int], device: torch.device, capture: Capture,
                 pad_token: int = 0) -> None:
        self.step = step
        self.buckets = sorted(buckets)
        self.device = device
        self.capture = capture
        self.pad_token = pad_token
        self._graphs: dict[int, tuple[torch.Tensor, torch.Tensor, Replay]] = {}
        self.failed: set[int] = set()
        self.captures = 0  # graphs captured so far (recaptures after a cache reallocation included)
        self.replays = 0
        self._key: Hashable = None

    @property
    def largest(self) -> int:
        return self.buckets[-1]

    def bucket(self, rows: int) -> int | None:
        size = bucket_for(rows, self.buckets)
        return None if size is None or size in self.failed else size

    def set_key(self, key: Hashable) -> None:
        """What the captured graphs read besides their static inputs (the cache buffer's address and shape):
        when it changes, every graph is dropped and captured again at its next use."""
        if key != self._key:
            self._graphs.clear()
            self._key = key

    def run(self, tokens: Sequence[int], positions: Sequence[int]) -> torch.Tensor | None:
        """Logits ``[len(tokens), vocab]`` of one step for rows ``0..n-1`` (row i: ``tokens[i]`` at
        ``positions[i]``), through the bucket's graph; None when the step must run eagerly."""
        n = len(tokens)
        size = self.bucket(n)
        if size is None:
            return None
        padded_ids, padded_positions = pad(tokens, positions, size, self.pad_token)
        padded = (torch.tensor(padded_ids, dtype=torch.long), torch.tensor(padded_positions, dtype=torch.long))
        entry = self._graphs.get(size) or self._capture(size, padded)
        if entry is None:
            return None
        ids, where, replay = entry
        ids.copy_(padded[0])
        where.copy_(padded[1])
        self.replays += 1
        return replay()[:n].clone()  # the static output is overwritten by the next replay

    def _capture(self, size: int, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, Replay] | None:
        """Static buffers holding this step's own ``inputs`` (a capture's warm-up runs execute the step: they
        write the running rows' keys and values, the very ones the replay writes again), and the step's graph."""
        ids = inputs[0].to(self.device).clone()
        where = inputs[1].to(self.device).clone()
        try:
            replay = self.capture(lambda: self.step(ids, where))
        except Exception as exc:  # noqa: BLE001 - any capture failure leaves the eager step, which is correct
            logger.warning("CUDA graph capture of the %d-row decode step failed (%s); steps of that size run eagerly",
                           size, exc)
            self.failed.add(size)
            return None
        self.captures += 1
        self._graphs[size] = (ids, where, replay)
        return self._graphs[size]


def pad(tokens: Sequence[int], positions: Sequence[int], size: int, pad_token: int) -> tuple[list[int], list[int]]:
    """Rows padded to ``size``: ``pad_token`` at position 0 for every padding row."""
    extra = size - len(tokens)
    return list(tokens) + [pad_token] * extra, list(positions) + [0] * extra
