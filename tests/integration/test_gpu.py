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
