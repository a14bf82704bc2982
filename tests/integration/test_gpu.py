"""The GPU path of the engine: bf16 on CUDA. Skipped cleanly where there is no GPU (CI never has one)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def test_engine_loads_in_bf16_on_the_gpu_and_generates() -> None:
    from deployments.llm.jobs import GenerationJob
    from deployments.llm.loader import load_engine
    from deployments.llm.settings import LLMSettings

    engine = load_engine(LLMSettings(device="auto"))
    assert engine.device.type == "cuda"
    assert engine.model.dtype == torch.bfloat16
    prompt = engine.chat_prompt([{"role": "user", "content": "What is the capital of France?"}])
    jobs = [GenerationJob(prompt, 8, temperature=0.0) for _ in range(4)]
    engine.generate(jobs)
    assert all("Paris" in job.text for job in jobs)


def test_cuda_graph_decode_steps_give_the_greedy_tokens_of_eager_steps() -> None:
    """Bucketed, padded graph replays against eager steps on the same weights (rows of different lengths)."""
    from deployments.llm.jobs import GenerationJob
    from deployments.llm.loader import load_engine
    from deployments.llm.settings import LLMSettings

    engine = load_engine(LLMSettings(device="auto"))
    graphs = engine.runner.graphs
    assert graphs is not None
    questions = ["What is the capital of France?", "Name a planet with rings.", "Who wrote Hamlet?"]
    prompts = [engine.chat_prompt([{"role": "user", "content": q}]) for q in questions]

    def texts() -> list[str]:
        jobs = [GenerationJob(p, 24 + 8 * i, temperature=0.0) for i, p in enumerate(prompts)]
        engine.generate(jobs)
        return [job.text for job in jobs]

    replayed = texts()
    assert graphs.replays > 0 and not graphs.failed
    engine.runner.graphs = None
    eager = texts()
    engine.shutdown()
    assert replayed == eager
