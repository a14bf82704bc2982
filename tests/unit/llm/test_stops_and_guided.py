import torch

from tests.unit.llm.fake_vocab import INDEX, VOCAB, constraint
from tests.unit.llm.row_adapters import _RowSampler, _RowStopper

from deployments.llm.rows import Row as _Row
from deployments.llm.jobs import GenerationJob
from deployments.llm.stops import StopMatcher

# a toy tokenizer: one token per character, token id = code point
encode = lambda text: [ord(c) for c in text]  # noqa: E731
decode = lambda tokens: "".join(chr(t) for t in tokens)  # noqa: E731
EOS = 0


def test_stop_matcher_finds_the_earliest_stop() -> None:
    matcher = StopMatcher(["END", "\n"])
    assert matcher.find("abc\nxyz END") == 3
    assert matcher.find("abc") is None


def test_stop_matcher_holds_back_a_possible_stop_prefix() -> None:
    matcher = StopMatcher(["END"])
    assert matcher.safe_length("hello EN") == len("hello ")
    assert matcher.safe_length("hello E") == len("hello ")
    assert matcher.safe_length("hello") == 5
    assert StopMatcher(None).safe_length("abc") == 3


def test_choice_constraint_walks_shared_prefixes() -> None:
    c = constraint("choice", ["ab", "abc", "x"])
    assert sorted(c.allowed()) == [ord("a"), ord("x"), INDEX["ab"]]  # either tokenization of "ab"
    assert c.advance(ord("a")) and c.advance(ord("b"))
    assert c.can_end() and not c.must_end() and c.text == "ab"
    assert c.advance(ord("c")) and c.must_end() and c.text == "abc"
    assert not constraint("choice", ["ab"]).advance(ord("z"))


def _rows(*jobs: GenerationJob) -> list[_Row]:
    return [_Row(job, encode, torch.device("cpu")) for job in jobs]


def test_sampler_only_picks_tokens_that_continue_a_choice() -> None:
    rows = _rows(GenerationJob([1], 5, temperature=1.0, seed=0, constraint=constraint("choice", ["yes", "no"])))
    scores = torch.zeros(1, 256)
    scores[0, ord("m")] = 100.0  # the model strongly prefers a token outside the choices
    forced = _RowSampler(rows, {EOS})(torch.zeros(1, 1, dtype=torch.long), scores)
    assert int(forced.argmax()) in (ord("y"), ord("n"))


def test_sampler_is_repeatable_for_a_seed_and_greedy_at_temperature_zero() -> None:
    scores = torch.randn(1, 256, generator=torch.Generator().manual_seed(0))
    pick = lambda job: int(_RowSampler(_rows(job), {EOS})(None, scores.clone()).argmax())  # noqa: E731
    assert pick(GenerationJob([1], 5, seed=42)) == pick(GenerationJob([1], 5, seed=42))
    assert pick(GenerationJob([1], 5, temperature=0.0)) == int(scores.argmax())


def test_ignore_eos_never_picks_eos() -> None:
    scores = torch.zeros(1, 256)
    scores[0, EOS] = 100.0
    forced = _RowSampler(_rows(GenerationJob([1], 5, temperature=0.0, ignore_eos=True)), {EOS})(None, scores)
    assert int(forced.argmax()) != EOS


def _feed(stopper: _RowStopper, text: str) -> list[bool]:
    done = []
    for i, char in enumerate(text):
        ids = torch.tensor([[0] * (i + 1) + [ord(char)]])
        done.append(bool(stopper(ids, None)[0]))
    return done


def test_stopper_cuts_before_a_stop_string_and_streams_nothing_of_it() -> None:
    emitted: list[str] = []
    job = GenerationJob([1], 50, stop=["STOP"], emit=emitted.append)
    stopper = _RowStopper(_rows(job), {EOS}, decode)
    done = _feed(stopper, "hello STOP world")
    assert done.index(True) == len("hello STOP") - 1
    assert job.text == "hello " and job.finish_reason == "stop"
    assert "".join(emitted) == "hello "


def test_stopper_ends_at_max_tokens_with_length() -> None:
    job = GenerationJob([1], 3)
    _feed(_RowStopper(_rows(job), {EOS}, decode), "abcdef")
    assert (job.text, job.finish_reason, job.completion_tokens) == ("abc", "length", 3)


def test_stopper_finishes_a_guided_row_on_a_complete_choice() -> None:
    job = GenerationJob([1], 10, constraint=constraint("choice", ["no", "yes"]))
    done = _feed(_RowStopper(_rows(job), {EOS}, decode), "yes")
    assert done == [False, False, True]
    assert (job.text, job.finish_reason) == ("yes", "stop")


def test_stopper_honours_cancellation() -> None:
    job = GenerationJob([1], 10)
    stopper = _RowStopper(_rows(job), {EOS}, decode)
    job.cancelled.set()
    assert _feed(stopper, "a") == [True]
    assert job.finish_reason == "cancelled"


def test_a_vanishing_temperature_is_greedy_not_nan() -> None:
    """1e-320 is 0 in float32: dividing by it gave NaN probabilities, failing the whole batch."""
    scores = torch.randn(1, 256, generator=torch.Generator().manual_seed(1))
    for temperature in (1e-320, 5e-324, 1e-40, 1e-6):
        job = GenerationJob([1], 5, temperature=temperature, seed=3)
        assert int(_RowSampler(_rows(job), {EOS})(None, scores.clone()).argmax()) == int(scores.argmax())


def test_a_vanishing_top_p_keeps_the_most_likely_token() -> None:
    """5e-324 is 0 in float32: the nucleus kept no token, and sampling failed the whole batch."""
    scores = torch.randn(1, 256, generator=torch.Generator().manual_seed(2))
    for top_p in (5e-324, 1e-300, 1e-9):
        job = GenerationJob([1], 5, temperature=1.0, top_p=top_p, seed=4)
        assert int(_RowSampler(_rows(job), {EOS})(None, scores.clone()).argmax()) == int(scores.argmax())


def test_sampled_guided_choice_ends_on_a_choice_and_varies_with_the_seed() -> None:
    """Self-consistency samples guided choices (temperature > 0, one seed per run): every step must
    sample only among tokens that continue a choice, whole outputs must be choices, and different
    seeds must reach different choices (the restricted distribution is sampled, not collapsed)."""
    choices = ["yes", "yep", "no"]
    logits = torch.randn(len(VOCAB), generator=torch.Generator().manual_seed(5))
    logits[ord("m")] = 50.0  # the model strongly prefers a token outside the choices

    def walk(seed: int) -> str:
        job = GenerationJob([1], 10, temperature=0.7, top_p=0.95, seed=seed, constraint=constraint("choice", choices))
        rows = _rows(job)
        sampler, stopper = _RowSampler(rows, {EOS}), _RowStopper(rows, {EOS}, decode)
        ids = torch.tensor([[1]])
        while not rows[0].done:
            c = rows[0].constraint
            allowed = set(c.allowed()) - {EOS} | ({EOS} if c.can_end() else set())
            token = int(sampler(ids, logits.clone().unsqueeze(0)).argmax())
            assert token in allowed
            ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
            stopper(ids, None)
        return job.text

    outputs = [walk(seed) for seed in range(40)]
    assert set(outputs) <= set(choices) and len(set(outputs)) >= 2
    assert outputs == [walk(seed) for seed in range(40)]  # a seed gives the same choice again
