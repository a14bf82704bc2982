"""The CUDA-graph decode path's bucketing, padding and replay, run on the CPU with a plain-callable stand-in
for the graph: the same tokens as unbucketed decoding, one capture per bucket, recapture when the cache moves,
eager steps where a capture failed or the batch outgrows the buckets."""

from __future__ import annotations

import logging

import pytest
import torch

from deployments.llm.cuda_graphs import BucketedDecode, bucket_for, buckets_up_to, eager_stand_in, pad
from deployments.llm.jobs import GenerationJob
from deployments.llm.llama_decoder import use_llama_decoder
from deployments.llm.runner import ModelRunner
from tests.unit.llm.tiny_model import CharTokenizer, tiny_engine, tiny_model

TOK = CharTokenizer()


def test_buckets_and_padding() -> None:
    assert buckets_up_to(64) == [1, 2, 4, 8, 16, 24, 32, 48, 64]
    assert buckets_up_to(20) == [1, 2, 4, 8, 16, 20]
    assert [bucket_for(n, [1, 2, 4, 8]) for n in (1, 2, 3, 5, 8, 9)] == [1, 2, 4, 8, 8, None]
    assert pad([7, 8, 9], [4, 0, 12], 4, 0) == ([7, 8, 9, 0], [4, 0, 12, 0])


def test_steps_are_padded_to_their_bucket_captured_once_and_recaptured_when_the_key_changes() -> None:
    seen: list[tuple[list[int], list[int]]] = []

    def step(ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        seen.append((ids.tolist(), positions.tolist()))
        return torch.stack([ids * 10.0, positions * 1.0], 1)  # [rows, 2] "logits" that name their inputs

    graphs = BucketedDecode(step, [1, 2, 4], torch.device("cpu"), eager_stand_in, pad_token=5)
    out = graphs.run([3, 4, 6], [7, 8, 9])
    assert out.tolist() == [[30.0, 7.0], [40.0, 8.0], [60.0, 9.0]]  # only the running rows come back
    assert seen[-1] == ([3, 4, 6, 5], [7, 8, 9, 0])  # the step ran on the bucket of 4, one padding row
    assert graphs.run([1], [2]).tolist() == [[10.0, 2.0]]
    graphs.run([2, 2, 2], [1, 1, 1])
    assert graphs.captures == 2 and graphs.replays == 3  # buckets 4 and 1 captured once each
    graphs.set_key("same")
    graphs.set_key("same")
    graphs.run([2], [1])
    assert graphs.captures == 3  # a new key dropped the graphs once
    assert graphs.run([1, 2, 3, 4, 5], [0] * 5) is None  # past the largest bucket: the caller runs it eagerly


def test_a_capture_that_runs_the_step_sees_the_real_step_inputs() -> None:
    """CUDA capture runs warm-up steps, which write keys and values: they must be those of the real rows."""
    seen: list[list[int]] = []

    def warming(fn):
        fn()  # what CudaCapture's warm-up does before recording
        return fn

    def step(ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        seen.append(positions.tolist())
        return ids[:, None] * 1.0

    graphs = BucketedDecode(step, [4], torch.device("cpu"), warming)
    graphs.run([1, 2, 3], [17, 5, 9])
    assert seen == [[17, 5, 9, 0], [17, 5, 9, 0]]  # the warm-up and the replay: the same, real positions


def test_a_failed_capture_leaves_that_bucket_eager_and_says_so(caplog) -> None:
    def capture(fn):
        raise RuntimeError("operation not permitted when stream is capturing")

    graphs = BucketedDecode(lambda ids, positions: ids[:, None] * 1.0, [1, 2], torch.device("cpu"), capture)
    with caplog.at_level(logging.WARNING, logger="ray.serve"):
        assert graphs.run([1, 2], [0, 0]) is None
    assert graphs.failed == {2} and graphs.bucket(2) is None and graphs.bucket(1) == 1
    assert "2-row decode step failed" in caplog.text and "run eagerly" in caplog.text


def _decode_trace(model, graphs: bool, steps: int = 7) -> tuple[list[torch.Tensor], list[list[int]]]:
    """Rows join (3 rows: bucket 4) and one leaves (2 rows: bucket 2) while decoding greedily; every step's logits."""
    runner = ModelRunner(model, torch.device("cpu"))
    if graphs:
        runner.use_graphs(4, eager_stand_in, column_multiple=64)
    prompts = [[5, 9, 13, 2, 40, 41, 7], [3, 3, 60], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]]
    tokens: list[list[int]] = []
    logits: list[torch.Tensor] = []
    first, _ = runner.add(prompts[:2], [len(p) + steps + 2 for p in prompts[:2]])
    tokens += [[int(first[i].argmax())] for i in range(2)]
    for step in range(steps):
        if step == 2:
            first, _ = runner.add([prompts[2]], [len(prompts[2]) + steps + 2])
            tokens.append([int(first[0].argmax())])
        if step == 5:  # row 0 leaves; the last row moves into its slot
            runner.remove(0)
            tokens[0] = tokens.pop()
        out = runner.decode([row[-1] for row in tokens])
        logits.append(out)
        for i, row in enumerate(tokens):
            row.append(int(out[i].argmax()))
    return logits, tokens


@pytest.mark.parametrize("llama_decoder", [True, False])  # Medici's decode step, transformers' forward
def test_bucketed_padded_decoding_gives_the_tokens_of_unbucketed_decoding(llama_decoder: bool) -> None:
    model = tiny_model(layers=2)
    if llama_decoder:
        assert use_llama_decoder(model)
    eager_logits, eager_tokens = _decode_trace(model, graphs=False)
    graph_logits, graph_tokens = _decode_trace(model, graphs=True)
    assert graph_tokens == eager_tokens
    assert all(torch.allclose(a, b, atol=1e-4, rtol=1e-4) for a, b in zip(graph_logits, eager_logits))


def test_an_engine_on_bucketed_steps_writes_what_it_writes_eagerly() -> None:
    prompts = ["the first prompt", "b", "a third, longer prompt than the others", "xy", "fifth"]

    def run(graphs: bool) -> tuple[list[str], object]:
        engine = tiny_engine(max_batch_size=4)
        engine.autostart = False
        if graphs:
            engine.runner.use_graphs(4, eager_stand_in)
        jobs = [GenerationJob(prompt_ids=TOK.encode(p), max_tokens=6 + 3 * i, temperature=0.0 if i % 2 else 0.8,
                              seed=i) for i, p in enumerate(prompts)]
        for job in jobs:
            engine.submit(job, lambda error: None)
            engine.step()
        while engine.running or len(engine.scheduler):
            engine.step()
        return [job.text for job in jobs], engine.runner.graphs

    eager, _ = run(graphs=False)
    bucketed, graphs = run(graphs=True)
    assert bucketed == eager
    assert graphs.replays > 0 and graphs.captures >= 3  # buckets 1, 2 and 4 at least
