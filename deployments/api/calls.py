"""Calling deployment handles from routes: errors mapped, streams opened before the first byte."""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Awaitable

from fastapi.responses import StreamingResponse

from deployments.api.errors import as_service_error, sse_error

_DONE = "data: [DONE]\n\n"


async def call(response: Awaitable[Any]) -> Any:
    """Await a handle call; whatever it raises becomes the caller's ServiceError."""
    try:
        return await response
    except Exception as exc:  # noqa: BLE001 - every failure is mapped, none leaks as a 500 trace
        raise as_service_error(exc) from exc


async def open_stream(generator) -> StreamingResponse:
    """Wait for the first chunk, so a bad request still gets its 4xx, then stream SSE."""
    try:
        first = await generator.__anext__()
    except StopAsyncIteration:
        first = None
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
