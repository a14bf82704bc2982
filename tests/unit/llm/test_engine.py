"""The continuous-batching engine on a tiny random Llama: scheduling claims, checked on token values."""

from __future__ import annotations

import pytest

from deployments.llm.jobs import GenerationJob
from tests.unit.llm.tiny_model import CharTokenizer, tiny_engine

TOK = CharTokenizer()


def _job(prompt: str, max_tokens: int, **kw) -> GenerationJob:
    return GenerationJob(prompt_ids=TOK.encode(prompt), max_tokens=max_tokens, temperature=0.0, **kw)


def _manual(**runtime):
    engine = tiny_engine(**runtime)
    engine.autostart = False
    return engine


def _submit(engine, job: GenerationJob, finished: list) -> None:
    engine.submit(job, lambda error: finished.append((job, error)))


def test_continuous_batching_gives_the_same_greedy_tokens_as_decoding_alone() -> None:
    prompts = [("the first prompt", 24), ("b", 9), ("a third, longer prompt than the others", 17), ("xy", 30)]
    engine = _manual()
    finished: list = []
    batched = [_job(p, n) for p, n in prompts]
    # requests join at different steps, so rows of different lengths and ages share each forward
    for job in batched:
        _submit(engine, job, finished)
        engine.step()
        engine.step()
    while engine.running or len(engine.scheduler):
        engine.step()
    alone = []
    for prompt, n in prompts:
        solo = _manual()
        job = _job(prompt, n)
        _submit(solo, job, [])
        while solo.running or len(solo.scheduler):
            solo.step()
        alone.append(job.text)
    assert [job.text for job in batched] == alone
    assert [job.completion_tokens for job in batched] == [n for _, n in prompts]
    assert all(error is None for _, error in finished) and len(finished) == len(prompts)


def _alone(prompt: str, max_tokens: int) -> str:
    """The greedy text of one request decoded alone through transformers' own forward."""
    solo = _manual()
    job = _job(prompt, max_tokens)
    _submit(solo, job, [])
    while solo.running or len(solo.scheduler):
        solo.step()
    return job.text


def test_requests_joining_at_one_step_are_prefilled_together_with_the_same_tokens() -> None:
    """Medici's decoder prefills the requests admitted at one step in one forward (their prompts as segments
    of one sequence), from the prefix cache where it has their start; each still gets its own tokens."""
    engine = _manual(llama_decoder=True, prefix_cache_block_tokens=4)
    rounds = [[("the first prompt", 12), ("b", 9), ("a third, longer prompt than the others", 10), ("xy", 11)],
              [("the first prompt, again", 8), ("a third, longer prompt and another", 7)]]  # cached starts
    for requests in rounds:
        jobs = [_job(p, n) for p, n in requests]
        for job in jobs:
            _submit(engine, job, [])
        engine.step()
        assert len(engine.running) == len(requests)  # all joined at one step
        while engine.running:
            engine.step()
        assert [job.text for job in jobs] == [_alone(p, n) for p, n in requests]
    assert engine.runner.prefix.hits >= 2 * 16  # the second round reused the first's blocks


def test_a_new_prefix_block_size_empties_the_prefix_cache() -> None:
    from deployments.llm.settings import LLMRuntimeConfig

    engine = tiny_engine(prefix_cache_block_tokens=4)
    engine.generate([_job("a prompt to cache", 3)])
    assert engine.runner.prefix.tokens > 0
    engine.reconfigure(LLMRuntimeConfig(prefix_cache_block_tokens=8))
    assert engine.runner.prefix.tokens == 0 and engine.runner.prefix.block_size == 8
    engine.generate([_job("a prompt to cache again", 3)])
    assert engine.runner.prefix.tokens == 16  # two whole blocks of 8 of its 23 tokens
    engine.shutdown()


def test_a_short_request_finishes_before_a_long_one_that_started_earlier() -> None:
    engine = _manual()
    finished: list = []
    long, short = _job("a long story", 200), _job("yes or no?", 3)
    _submit(engine, long, finished)
    for _ in range(5):
        engine.step()
    _submit(engine, short, finished)
    steps = 0
    while len(finished) < 1:
        engine.step()
        steps += 1
    assert finished[0][0] is short
    assert steps == 2  # joins at the next step (its prefill gives token 1, that step's decode token 2), then token 3
    assert long.finish_reason is None and len(engine.running) == 1


def _one_running_one_waiting() -> tuple:
    """One slot: a long request running after one step, a short one waiting behind it."""
    engine = _manual(max_batch_size=1)
    finished: list = []
    first, second = _job("first", 100), _job("second", 4)
    _submit(engine, first, finished)
    _submit(engine, second, finished)
    engine.step()
    return engine, finished, first, second


def test_a_cancelled_row_frees_its_slot_at_once() -> None:
    engine, finished, first, second = _one_running_one_waiting()
    assert [a.row.job for a in engine.running] == [first] and len(engine.scheduler) == 1
    first.cancelled.set()
    engine.step()  # the cancelled row leaves before this step's admission: the waiting one takes its slot
    assert first.finish_reason == "cancelled" and finished[0][0] is first
    assert [a.row.job for a in engine.running] == [second]


def test_a_cancelled_waiting_request_is_dropped_without_running() -> None:
    engine, finished, first, second = _one_running_one_waiting()
    second.cancelled.set()
    engine.step()
    assert finished == [(second, None)] and second.finish_reason == "cancelled" and second.completion_tokens == 0


def test_prefix_cache_hits_give_the_same_tokens_as_a_cold_prefill() -> None:
    shared = "You are a careful labeller. Examples: cats -> animals; oak -> trees; " * 2
    questions = ["Label: salmon", "Label: tulip", "Label: eagle"]
    warm = _manual(prefix_cache_tokens=4096)
    cold = _manual(prefix_cache_tokens=0)
    warm_texts, cold_texts = [], []
    for engine, texts in ((warm, warm_texts), (cold, cold_texts)):
        for question in questions:
            job = _job(shared + question, 12)
            _submit(engine, job, [])
            while engine.running or len(engine.scheduler):
                engine.step()
            texts.append(job.text)
    assert warm_texts == cold_texts
    prefix = warm.runner.prefix
    assert prefix.hits >= 2 * (len(TOK.encode(shared)) // prefix.block_size) * prefix.block_size
    assert 0.5 < prefix.hit_rate < 1.0 and cold.runner.prefix.hits == 0


def test_past_the_tokens_in_flight_bound_requests_wait_their_turn() -> None:
    engine = _manual(max_tokens_in_flight=2 * 60)
    finished: list = []
    jobs = [_job("0123456789", 40) for _ in range(3)]  # width 51 each: two fit, the third waits
    for job in jobs:
        _submit(engine, job, finished)
    engine.step()
    assert len(engine.running) == 2 and len(engine.scheduler) == 1
    while engine.running or len(engine.scheduler):
        engine.step()
    assert [job.completion_tokens for job in jobs] == [40, 40, 40]
    assert engine.runner.cache.kv is not None  # kept while the engine is busy: the next request reuses it
    assert engine.runner.release_if_empty() and engine.runner.cache.kv is None  # freed once idle


def test_an_idle_engine_frees_its_kv_buffer(monkeypatch) -> None:
    import time

    from deployments.llm import engine as engine_module

    monkeypatch.setattr(engine_module, "IDLE_RELEASE_S", 0.05)
    engine = tiny_engine()
    engine.generate([_job("hello", 3)])
    deadline = time.monotonic() + 10
    while engine.runner.cache.kv is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert engine.runner.cache.kv is None
    again = _job("hello again", 4)
    engine.generate([again])  # a freed buffer is allocated again on the next request
    assert again.completion_tokens == 4
    engine.shutdown()


def test_the_decoding_thread_runs_submitted_jobs_and_streams() -> None:
    engine = tiny_engine()
    pieces: list[str] = []
    job = _job("stream me", 10, emit=pieces.append)
    engine.generate([job])
    engine.shutdown()
    assert "".join(pieces) == job.text and job.completion_tokens == 10


@pytest.mark.parametrize("llama_decoder", [False, True])
def test_a_failing_prefill_fails_the_joining_requests_and_leaves_no_row(llama_decoder: bool) -> None:
    engine = _manual(llama_decoder=llama_decoder)
    finished: list = []
    jobs = [_job("first", 3), _job("second one", 3)]
    for job in jobs:
        _submit(engine, job, finished)
    calls = []
    real = engine.runner._logits

    def broken(hidden):
        calls.append(hidden.shape[0])
        raise RuntimeError("out of memory")

    engine.runner._logits = broken  # fails after the forward, once both prompts are in their slots
    with pytest.raises(RuntimeError, match="out of memory"):
        engine.step()
    assert [str(error) for _, error in finished] == ["out of memory", "out of memory"]
    assert engine.runner.rows == 0 and not engine.running
    engine.runner._logits = real
    again = _job("third", 4)
    _submit(engine, again, finished)
    while engine.running or len(engine.scheduler):
        engine.step()
    assert again.completion_tokens == 4


def test_a_failing_forward_fails_its_requests_and_the_health_check() -> None:
    engine = tiny_engine()

    def broken(*args, **kwargs):
        raise RuntimeError("device lost")

    engine.runner.decode = broken
    with pytest.raises(RuntimeError, match="device lost"):
        engine.generate([_job("anything", 5)])
    with pytest.raises(RuntimeError, match="generation failed"):
        engine.check_health()
    engine.shutdown()
