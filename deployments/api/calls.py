"""Calling deployment handles from routes: errors mapped, streams opened before the first byte.

An optional deadline bounds the whole wait, time queued in Serve's router included (the replica's
own timeout starts only when the replica takes the request): past it the call is cancelled, which
frees its queue or batch slot, and the caller gets 504 instead of waiting on an overloaded or
restarting model.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Awaitable, Callable

from fastapi.responses import StreamingResponse

from deployments import errors
from deployments.api.errors import as_service_error, sse_error

_DONE = "data: [DONE]\n\n"


async def call(response: Awaitable[Any], timeout_s: float | None = None) -> Any:
    """Await a handle call, at most ``timeout_s``; whatever it raises becomes the caller's ServiceError."""
    try:
        return await asyncio.wait_for(_awaited(response), timeout_s)
    except asyncio.TimeoutError:
        _cancel(response)
        raise _deadline(timeout_s) from None
    except Exception as exc:  # noqa: BLE001 - every failure is mapped, none leaks as a 500 trace
        raise as_service_error(exc) from exc


# A read that met a replica which had just died is sent again: Serve's router retries only a request no
# replica accepted yet, and takes a dead replica out of its set once one request failed on it, so the
# next try goes to a live one. Only reads: a write may have been applied before its replica died.
READ_TRIES = 3
READ_RETRY_PAUSE_S = 0.5


async def call_read(make: Callable[[], Awaitable[Any]], timeout_s: float | None = None) -> Any:
    """Like `call` for a read that is safe to repeat: one that failed because its replica was lost is retried."""
    for attempt in range(READ_TRIES - 1):
        try:
            return await call(make(), timeout_s)
        except errors.ServiceError as error:
            if error.code != "service_unavailable":
                raise
        await asyncio.sleep(READ_RETRY_PAUSE_S * (attempt + 1))
    return await call(make(), timeout_s)


async def open_stream(generator, timeout_s: float | None = None) -> StreamingResponse:
    """Wait for the first chunk (at most ``timeout_s``), so a bad request still gets its 4xx, then stream SSE."""
    try:
        first = await asyncio.wait_for(generator.__anext__(), timeout_s)
    except StopAsyncIteration:
        first = None
    except asyncio.TimeoutError:
        generator.cancel()
        raise _deadline(timeout_s) from None
    except Exception as exc:  # noqa: BLE001
        generator.cancel()
        raise as_service_error(exc) from exc
    return StreamingResponse(_sse(first, generator), media_type="text/event-stream")


async def _sse(first: dict | None, generator) -> AsyncIterator[str]:
    try:
        if first is not None:
            yield f"data: {json.dumps(first)}\n\n"
        async for chunk in generator:
            yield f"data: {json.dumps(chunk)}\n\n"
        yield _DONE
    except Exception as exc:  # noqa: BLE001 - a stream that fails midway reports it and still ends
        yield sse_error(as_service_error(exc))
        yield _DONE
    finally:
        generator.cancel()  # frees the batch slot when the client goes away


async def _awaited(response: Awaitable[Any]) -> Any:
    return await response  # a coroutine, so wait_for can wrap any awaitable (DeploymentResponse is not one)


def _cancel(response: Any) -> None:
    cancel = getattr(response, "cancel", None)  # DeploymentResponse.cancel() reaches the replica
    if callable(cancel):
        cancel()


def _deadline(timeout_s: float | None) -> errors.ServiceError:
    return errors.timeout(f"the model did not answer within the request timeout of {timeout_s:g}s "
                          "(overloaded or restarting); retry later")
