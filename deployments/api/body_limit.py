"""Refuses request bodies over the size limit with 413 before anything parses them.

Hand-written ASGI middleware: Starlette has none for body size, and counting the streamed bytes
also catches chunked bodies that send no Content-Length.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deployments.api.errors import error_response
from deployments.errors import ServiceError


class _TooLarge(BaseException):
    """A BaseException so that FastAPI's body parsing (which turns any Exception into a 400) lets it through."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = ServiceError(413, f"the request body is larger than {self.max_bytes} bytes",
                             "invalid_request_error", "request_too_large")
        await error_response(error)(scope, receive, send)
