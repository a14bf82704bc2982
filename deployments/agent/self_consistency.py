"""Agent self-consistency: n sampled runs of one question at once, the majority answer returned.

Self-consistency (Wang et al., 2022) trades tokens for accuracy: sample several reasoning paths
and keep the answer most of them reach. Run i samples with seed i, so every run, and so the whole
reply, is reproducible. The runs go through `deployments.parallel.map_states`: bounded
concurrency, a timeout per run, and every run ending as an `Outcome`, so one failing or slow run
is reported in `samples` instead of failing the request; only when every run fails does the
request fail, with the first run's error (a 503 from the model stays a 503, a timeout is a 504).
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from deployments import errors
from deployments.agent.generation import Usage
from deployments.agent.trace import Run
from deployments.agent.voting import majority, normalise_answer
from deployments.parallel import Limits, Outcome, map_states, raisable, raise_if_none_succeeded

logger = logging.getLogger("ray.serve")

RunOne = Callable[[int, Usage], Awaitable[Run]]  # (seed, the run's own Usage) -> the finished run


async def self_consistent(run_one: RunOne, samples: int, limits: Limits = Limits()) -> dict:
    """Run ``run_one`` with seeds 0..samples-1 under ``limits``; the combined reply (see ``combine``)."""
    # One Usage per run, made here, so the tokens a failed run spent before failing are still counted.
    usages = [Usage() for _ in range(samples)]
    outcomes = await map_states(lambda seed: run_one(seed, usages[seed]), range(samples), limits=limits)
    return combine(outcomes, usages)


def combine(outcomes: list[Outcome], usages: list[Usage]) -> dict:
    """The reply: the winning run's dict (its answer, steps, stop_reason), usage and parse
    failures summed over every run, ``votes`` (most first) and ``samples`` (every run, in seed order).

    Raises the first run's error when no run finished.
    """
    raise_if_none_succeeded(outcomes, _run_name)
    finished = [outcome for outcome in outcomes if outcome.ok]
    winner, votes = majority([outcome.value.answer for outcome in finished])
    reply = finished[winner or 0].value.to_dict()
    reply["usage"] = {name: sum(usage.to_dict()[name] for usage in usages) for name in Usage().to_dict()}
    reply["parse_failures"] = sum(outcome.value.parse_failures for outcome in finished)
    reply["votes"] = [vote.to_dict() for vote in votes]
    reply["samples"] = [sample_dict(outcome, usages[outcome.key]) for outcome in outcomes]
    return reply


def sample_dict(outcome: Outcome, usage: Usage) -> dict:
    """One run as ``samples`` shows it: its seed, and its full dict or its error (with what it spent)."""
    head = {"seed": outcome.key, "latency_s": round(outcome.latency_s, 3)}
    if outcome.ok:
        run = outcome.value.to_dict()
        return {**head, **run, "normalised_answer": normalise_answer(run["answer"])}
    return {**head, "error": _error_body(outcome), "usage": usage.to_dict()}


def _run_name(outcome: Outcome) -> str:
    return f"agent run with seed {outcome.key}"


def _error_body(outcome: Outcome) -> dict:
    """How a failed run shows in ``samples``: the OpenAI error body of its ServiceError (a timeout is
    a 504); anything else is logged here and named only by its class (details stay in the log)."""
    error = outcome.error
    found = errors.find_service_error(raisable(error, _run_name(outcome)))
    if found is not None:
        return found.to_dict()["error"]
    logger.error("agent run with seed %s failed", outcome.key, exc_info=error)
    return {"message": f"the run failed ({type(error).__name__}); details are in the Agent replica's log",
            "type": "internal_error", "param": None, "code": "internal_error"}
