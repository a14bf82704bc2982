"""The three parallel shapes, the reducer, captured errors, timeouts and the concurrency bound.

Branches are small hand-written async functions; no Ray. Concurrency is observed by counting the
branches in flight, never by wall-clock assertions.
"""

from __future__ import annotations

import asyncio

import pytest

from deployments.parallel import (
    BranchTimeout,
    Limits,
    failures,
    handle_branch,
    map_actions,
    map_actions_and_states,
    map_states,
    successes,
    values,
)


async def double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


async def square(x: int) -> int:
    await asyncio.sleep(0)
    return x * x


async def boom(x: int) -> int:
    raise ValueError(f"no {x}")


class InFlight:
    """A branch that records how many copies of itself run at the same time."""

    def __init__(self, hold_s: float = 0.02) -> None:
        self.now = 0
        self.peak = 0
        self.hold_s = hold_s

    async def __call__(self, x: int) -> int:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.hold_s)
            return x
        finally:
            self.now -= 1


def run(coro):
    return asyncio.run(coro)


def test_map_states_applies_one_action_to_every_state_in_order():
    assert run(map_states(double, [1, 2, 3], values)) == [2, 4, 6]


def test_map_states_without_reducer_returns_outcomes_keyed_by_index():
    outcomes = run(map_states(double, [5, 6]))
    assert [(o.key, o.value, o.ok) for o in outcomes] == [(0, 10, True), (1, 12, True)]
    assert all(o.latency_s >= 0 for o in outcomes)


def test_map_actions_keys_by_function_name_or_mapping_key():
    assert run(map_actions([double, square], 3, successes)) == {"double": 6, "square": 9}
    assert run(map_actions({"a": double, "b": square}, 4, successes)) == {"a": 8, "b": 16}


def test_map_actions_disambiguates_lambdas_sharing_a_name():
    outcomes = run(map_actions([lambda x: double(x), lambda x: square(x)], 2))
    assert [o.key for o in outcomes] == ["<lambda>#0", "<lambda>#1"]
    assert [o.value for o in outcomes] == [4, 4]


def test_map_actions_and_states_is_the_cartesian_product():
    table = run(map_actions_and_states({"double": double, "square": square}, [1, 2, 3], successes))
    assert table == {("double", 0): 2, ("double", 1): 4, ("double", 2): 6,
                     ("square", 0): 1, ("square", 1): 4, ("square", 2): 9}


def test_async_reducer_is_awaited():
    async def total(outcomes):
        await asyncio.sleep(0)
        return sum(o.value for o in outcomes)

    assert run(map_states(double, [1, 2, 3], total)) == 12


def test_a_failing_branch_is_captured_and_the_others_still_return():
    async def maybe(x: int) -> int:
        if x == 2:
            raise ValueError("two is bad")
        return x

    outcomes = run(map_states(maybe, [1, 2, 3]))
    assert successes(outcomes) == {0: 1, 2: 3}
    error = failures(outcomes)[1]
    assert isinstance(error, ValueError) and str(error) == "two is bad"


def test_the_reducer_may_decide_that_one_failure_sinks_the_call():
    with pytest.raises(ValueError, match="no 1"):
        run(map_actions([double, boom], 1, values))


def test_a_branch_that_raises_before_returning_an_awaitable_is_captured():
    def broken(_: int):
        raise KeyError("missing")

    outcomes = run(map_actions({"ok": double, "broken": broken}, 1))
    assert outcomes[0].value == 2 and isinstance(outcomes[1].error, KeyError)


def test_a_slow_branch_times_out_alone():
    async def slow(x: int) -> int:
        await asyncio.sleep(10)
        return x

    outcomes = run(map_actions({"fast": double, "slow": slow}, 1, limits=Limits(timeout_s=0.05)))
    assert outcomes[0].value == 2
    error = outcomes[1].error
    assert isinstance(error, BranchTimeout) and error.key == "slow" and error.timeout_s == 0.05
    assert outcomes[1].latency_s < 5  # cut at the timeout, not after the 10 s sleep


def test_a_timeout_raised_by_the_branch_itself_is_not_reported_as_the_branch_timeout():
    async def own_timeout(_: int) -> int:
        raise TimeoutError("upstream timed out")

    outcome = run(map_states(own_timeout, [1], limits=Limits(timeout_s=5)))[0]
    assert type(outcome.error) is TimeoutError and str(outcome.error) == "upstream timed out"


def test_concurrency_is_bounded_by_max_concurrency():
    branch = InFlight()
    result = run(map_states(branch, range(10), values, Limits(max_concurrency=3)))
    assert result == list(range(10))
    assert branch.peak == 3


def test_without_a_bound_every_branch_runs_at_once():
    branch = InFlight()
    run(map_states(branch, range(10)))
    assert branch.peak == 10


def test_cancelling_the_caller_cancels_the_branches():
    cancelled = []

    async def forever(x: int) -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(x)
            raise
        return x

    async def main():
        task = asyncio.ensure_future(map_states(forever, [1, 2]))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert sorted(cancelled) == [1, 2]


def test_handle_branch_calls_remote_on_the_named_method():
    class FakeMethod:
        def __init__(self, name: str) -> None:
            self.name = name

        def remote(self, state):
            return square(state) if self.name == "square" else double(state)

    class FakeHandle:
        def __getattr__(self, name: str) -> FakeMethod:
            return FakeMethod(name)

    handle = FakeHandle()
    assert run(map_actions([handle_branch(handle, "square"), handle_branch(handle, "double")], 5,
                           successes)) == {"square": 25, "double": 10}


def test_limits_are_validated():
    with pytest.raises(ValueError):
        Limits(max_concurrency=0)
    with pytest.raises(ValueError):
        Limits(timeout_s=0)


def test_a_timed_out_awaitable_with_cancel_is_cancelled():
    class Response:
        """Stands for a Serve DeploymentResponse: awaitable, and cancelled only through cancel()."""

        def __init__(self) -> None:
            self.cancelled = False

        def __await__(self):
            return asyncio.sleep(10).__await__()

        def cancel(self) -> None:
            self.cancelled = True

    response = Response()
    outcome = run(map_states(lambda _: response, [1], limits=Limits(timeout_s=0.05)))[0]
    assert isinstance(outcome.error, BranchTimeout) and response.cancelled
