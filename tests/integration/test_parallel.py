"""Parallel branches over real Serve deployment handles.

A small `Sleeper` deployment (4 replicas, no CPU reserved, no model) runs as a second Serve
application in the session's cluster. Each call reports when it ran and in which process, so the
tests read concurrency from the values the replicas return; one generous wall-clock bound shows
that n branches take about the time of one, not n times it.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from deployments.parallel import BranchTimeout, Limits, failures, handle_branch, map_states, successes

pytestmark = pytest.mark.integration

SLEEP_S = 1.0


class Sleeper:
    """Sleeps as asked and says when and where; fails when asked to."""

    async def sleep(self, request: dict) -> dict:
        start = time.time()
        if request.get("fail"):
            raise ValueError(f"branch {request['value']} was asked to fail")
        await asyncio.sleep(request["seconds"])
        return {"value": request["value"], "start": start, "end": time.time(), "pid": os.getpid()}


@pytest.fixture(scope="module")
def sleeper(base_url: str):
    from ray import serve

    deployment = serve.deployment(Sleeper, name="Sleeper", num_replicas=4,
                                  ray_actor_options={"num_cpus": 0}, max_ongoing_requests=16)
    handle = serve.run(deployment.bind(), name="parallel-test", route_prefix=None)
    yield handle_branch(handle, "sleep")
    serve.delete("parallel-test")


def _peak_overlap(results: list[dict]) -> int:
    """Most calls running at one instant, from the replicas' own start and end times."""
    events = sorted([(r["start"], 1) for r in results] + [(r["end"], -1) for r in results],
                    key=lambda event: (event[0], event[1]))
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_n_branches_take_about_the_time_of_one(sleeper):
    n = 8
    states = [{"value": i, "seconds": SLEEP_S} for i in range(n)]
    started = time.perf_counter()
    results = asyncio.run(map_states(sleeper, states, lambda outs: [o.unwrap() for o in outs]))
    wall = time.perf_counter() - started
    assert [r["value"] for r in results] == list(range(n))
    assert _peak_overlap(results) == n
    assert len({r["pid"] for r in results}) >= 2  # Serve spread the branches over replicas
    assert wall < 0.6 * n * SLEEP_S


def test_a_failing_branch_does_not_sink_the_others(sleeper):
    states = [{"value": i, "seconds": 0.2, "fail": i == 1} for i in range(4)]
    outcomes = asyncio.run(map_states(sleeper, states))
    assert {k: v["value"] for k, v in successes(outcomes).items()} == {0: 0, 2: 2, 3: 3}
    error = failures(outcomes)[1]
    assert "branch 1 was asked to fail" in str(error)


def test_a_branch_past_its_timeout_is_cut_alone(sleeper):
    states = [{"value": 0, "seconds": 0.1}, {"value": 1, "seconds": 30.0}]
    outcomes = asyncio.run(map_states(sleeper, states, limits=Limits(timeout_s=3.0)))
    assert outcomes[0].value["value"] == 0
    assert isinstance(outcomes[1].error, BranchTimeout) and outcomes[1].error.key == 1
    assert outcomes[1].latency_s < 15  # cut at the branch timeout, long before the 30 s sleep ends


def test_concurrency_bound_holds_across_replicas(sleeper):
    states = [{"value": i, "seconds": 0.4} for i in range(6)]
    outcomes = asyncio.run(map_states(sleeper, states, limits=Limits(max_concurrency=2)))
    results = [o.unwrap() for o in outcomes]
    assert [r["value"] for r in results] == list(range(6))
    assert _peak_overlap(results) == 2
