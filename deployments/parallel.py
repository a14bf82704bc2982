"""Parallel branches with a reduce step: the three shapes of Burr's parallelism API, in asyncio.

Many LLM workloads are "run these N things at once and combine them": several prompts on one model,
one prompt on several models, semantic and keyword search together, a label per document. Burr
(`burr/core/parallelism.py`) names the shapes well, and they are kept here:

- ``map_states``: one action over many states (label every document);
- ``map_actions``: many actions over one state (semantic + keyword search of one query);
- ``map_actions_and_states``: the cartesian product (prompts x models over a labelled set).

A branch is any callable taking the state and returning an awaitable: a plain ``async def``, a whole
agent run, or a Serve handle method (``lambda s: handle.method.remote(s)``, see ``handle_branch``).
``DeploymentResponse`` objects are awaitables, so awaiting many together lets Serve spread them over
the replicas. This module is pure asyncio and imports nothing from Ray (only the service's error type), so unit
tests need no cluster.

Every branch ends as an ``Outcome`` (its value or the error it raised, and its latency); the reducer
receives all of them, so one failing branch does not sink the others unless the reducer decides
so (``values(outcomes)`` is the "all or nothing" choice). Hand-written: asyncio has no bounded
gather with per-task timeouts and captured errors, and a dependency for ~150 lines is not worth it.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Generic, Hashable, Iterable, Mapping, Sequence, TypeVar, Union

from deployments import errors

S = TypeVar("S")  # a branch's input ("state")
T = TypeVar("T")  # a branch's value
R = TypeVar("R")  # the reducer's result

Branch = Callable[[Any], Awaitable[Any]]
Reducer = Callable[[list["Outcome"]], Union[R, Awaitable[R]]]


class BranchTimeout(asyncio.TimeoutError):
    """A branch ran past its timeout; the branch was cancelled."""

    def __init__(self, key: Hashable, timeout_s: float) -> None:
        super().__init__(f"branch {key!r} took longer than {timeout_s:g}s")
        self.key = key
        self.timeout_s = timeout_s


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """How one branch ended: ``value`` when it succeeded, else ``error``; always its latency.

    ``key`` names the branch: the state's index (map_states), the action's name (map_actions), or
    ``(action name, state index)`` (map_actions_and_states). ``latency_s`` counts from the moment the
    branch started running, not from when it queued for a concurrency slot.
    """

    key: Hashable
    value: T | None = None
    error: BaseException | None = None
    latency_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> T:
        """The value, or the branch's error raised again."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


@dataclass(frozen=True)
class Limits:
    """How branches run: at most ``max_concurrency`` at once, each cut at ``timeout_s`` (None: no bound)."""

    max_concurrency: int | None = None
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")


def handle_branch(handle: Any, method: str) -> Branch:
    """A branch calling ``handle.<method>.remote(state)`` on a Serve ``DeploymentHandle``."""

    def branch(state: Any) -> Awaitable[Any]:
        return getattr(handle, method).remote(state)

    branch.__name__ = method
    return branch


async def run_branches(calls: Sequence[tuple[Hashable, Callable[[], Awaitable[Any]]]],
                       limits: Limits = Limits()) -> list[Outcome]:
    """Run ``(key, thunk)`` pairs concurrently under ``limits``; one Outcome per pair, in order.

    Errors (``Exception``) are captured, never raised; cancelling the caller cancels every branch.
    """
    semaphore = asyncio.Semaphore(limits.max_concurrency) if limits.max_concurrency else None

    async def one(key: Hashable, thunk: Callable[[], Awaitable[Any]]) -> Outcome:
        if semaphore is None:
            return await _timed(key, thunk, limits.timeout_s)
        async with semaphore:
            return await _timed(key, thunk, limits.timeout_s)

    return list(await asyncio.gather(*(one(key, thunk) for key, thunk in calls)))


async def _timed(key: Hashable, thunk: Callable[[], Awaitable[Any]], timeout_s: float | None) -> Outcome:
    start = time.perf_counter()
    try:
        value = await asyncio.wait_for(_awaited(thunk), timeout_s)
    except asyncio.TimeoutError:
        return Outcome(key, error=BranchTimeout(key, timeout_s or 0.0), latency_s=time.perf_counter() - start)
    except _OwnTimeout as wrapped:
        return Outcome(key, error=wrapped.error, latency_s=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - captured for the reducer: one branch must not sink the others
        return Outcome(key, error=exc, latency_s=time.perf_counter() - start)
    return Outcome(key, value=value, latency_s=time.perf_counter() - start)


class _OwnTimeout(Exception):
    """A TimeoutError the branch raised itself, kept apart from the branch timeout of ``Limits``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


async def _awaited(thunk: Callable[[], Awaitable[Any]]) -> Any:
    # A branch that raises before returning its awaitable (e.g. a bad handle method name) is captured too.
    awaitable = thunk()
    try:
        return await awaitable
    except asyncio.TimeoutError as exc:
        raise _OwnTimeout(exc) from exc
    except asyncio.CancelledError:
        # Timed out or the caller went away: a Serve DeploymentResponse is not cancelled by cancelling
        # the task awaiting it, so cancel it too, freeing its replica slot (coroutines need no help).
        cancel = getattr(awaitable, "cancel", None)
        if callable(cancel):
            cancel()
        raise


async def _reduce(reduce: Reducer | None, outcomes: list[Outcome]) -> Any:
    if reduce is None:
        return outcomes
    result = reduce(outcomes)
    return await result if inspect.isawaitable(result) else result


def _named(actions: Mapping[str, Branch] | Sequence[Branch]) -> list[tuple[str, Branch]]:
    if isinstance(actions, Mapping):
        return list(actions.items())
    named = [(getattr(action, "__name__", f"action{i}"), action) for i, action in enumerate(actions)]
    if len({name for name, _ in named}) != len(named):  # lambdas all share one name
        named = [(f"{name}#{i}", action) for i, (name, action) in enumerate(named)]
    return named


async def map_states(action: Branch, states: Iterable[Any], reduce: Reducer | None = None,
                     limits: Limits = Limits()) -> Any:
    """One action over many states; outcome keys are the states' indices."""
    calls = [(i, _bind(action, state)) for i, state in enumerate(states)]
    return await _reduce(reduce, await run_branches(calls, limits))


async def map_actions(actions: Mapping[str, Branch] | Sequence[Branch], state: Any,
                      reduce: Reducer | None = None, limits: Limits = Limits()) -> Any:
    """Many actions over one state; outcome keys are the actions' names (mapping keys or ``__name__``)."""
    calls = [(name, _bind(action, state)) for name, action in _named(actions)]
    return await _reduce(reduce, await run_branches(calls, limits))


async def map_actions_and_states(actions: Mapping[str, Branch] | Sequence[Branch], states: Iterable[Any],
                                 reduce: Reducer | None = None, limits: Limits = Limits()) -> Any:
    """Every action over every state; outcome keys are ``(action name, state index)``, actions outer."""
    state_list = list(states)
    calls = [((name, i), _bind(action, state))
             for name, action in _named(actions) for i, state in enumerate(state_list)]
    return await _reduce(reduce, await run_branches(calls, limits))


def _bind(action: Branch, state: Any) -> Callable[[], Awaitable[Any]]:
    return lambda: action(state)


# --- reducer helpers -------------------------------------------------------------------------------
def values(outcomes: Sequence[Outcome]) -> list[Any]:
    """All values in order, or the first error raised: the "any failure sinks the call" reducer."""
    return [outcome.unwrap() for outcome in outcomes]


def successes(outcomes: Sequence[Outcome]) -> dict[Hashable, Any]:
    """The values of the branches that succeeded, by key: the "keep what worked" reducer."""
    return {outcome.key: outcome.value for outcome in outcomes if outcome.ok}


def failures(outcomes: Sequence[Outcome]) -> dict[Hashable, BaseException]:
    """The errors of the branches that failed, by key."""
    return {outcome.key: outcome.error for outcome in outcomes if outcome.error is not None}


def raisable(error: BaseException, what: str) -> BaseException:
    """A branch's error as the caller should get it: a ``BranchTimeout`` becomes a 504 saying that
    ``what`` ("labelling a document") took too long; any other error stays as it is (a ServiceError
    keeps its own status, e.g. the LLM's 503)."""
    if isinstance(error, BranchTimeout):
        return errors.timeout(f"{what} took longer than {error.timeout_s:g}s")
    return error


def raise_if_none_succeeded(outcomes: Sequence[Outcome], what: Callable[[Outcome], str]) -> None:
    """The "keep what worked" reducers' one rule: when every branch failed, raise the first one's
    error through ``raisable`` (``what(outcome)`` names that branch); else return and let the
    reducer use the branches that succeeded."""
    if outcomes and not any(outcome.ok for outcome in outcomes):
        first = outcomes[0]
        raise raisable(first.error, what(first))  # type: ignore[arg-type]


__all__ = [
    "Branch", "BranchTimeout", "Limits", "Outcome", "Reducer", "failures", "handle_branch",
    "map_actions", "map_actions_and_states", "map_states", "raisable", "raise_if_none_succeeded",
    "run_branches", "successes", "values",
]
