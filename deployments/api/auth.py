"""API-key auth: with a key configured, every route but `/healthz` and the console's static files (`/ui`)
needs `Authorization: Bearer <key>`.

The key comes from the environment variable `MEDICI_API_KEY`, or from the file named by
`MEDICI_API_KEY_FILE` (a mounted Kubernetes/Docker secret), read when the replica builds its app
(never at import), so a secret never sits in serve_config.yaml; without either the service is
open, as on a laptop. The file form matters on Ray: env vars given through a `runtime_env` are
written to Ray's `runtime_env_agent.log`, a path is harmless there.

An ASGI middleware rather than a FastAPI dependency, so no route, present or future (docs and
OpenAPI schema included), can forget it, and it runs before the body is read.
Tokens are compared with `hmac.compare_digest` (constant time) and never logged: the 401 says only
that the key is missing or wrong. Hand-written: Starlette's AuthenticationMiddleware needs a backend
class and answers in its own error shape, not the OpenAI one.
"""

from __future__ import annotations

import hmac
import os
from typing import Iterable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from deployments.api.errors import error_response
from deployments.errors import ServiceError

API_KEY_ENV = "MEDICI_API_KEY"
API_KEY_FILE_ENV = "MEDICI_API_KEY_FILE"
OPEN_PATHS = frozenset({"/healthz", "/ui"})  # probes (Kubernetes, load balancers) carry no token
# The console's static files hold no secret; the page asks for the key and sends it on each API call.
# Only the StaticFiles mount lives under /ui/ (routing matches the path as given, so "/ui/../v1/x" reaches
# the mount, which refuses to leave its folder), so opening the prefix opens no API route.
OPEN_PREFIXES = ("/ui/",)


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The configured API key, or None when auth is off (both variables unset or blank).

    A key file that is named but unreadable or empty raises: starting open by mistake is worse
    than not starting.
    """
    environ = os.environ if environ is None else environ
    key = environ.get(API_KEY_ENV, "").strip()
    if key:
        return key
    path = environ.get(API_KEY_FILE_ENV, "").strip()
    if not path:
        return None
    with open(path, encoding="utf-8") as handle:
        key = handle.read().strip()
    if not key:
        raise ValueError(f"{API_KEY_FILE_ENV} names {path}, which holds no key")
    return key


class BearerAuthMiddleware:
    """Refuses requests without the right Bearer token with 401, in the OpenAI error shape."""

    def __init__(self, app: ASGIApp, api_key: str, open_paths: Iterable[str] = OPEN_PATHS) -> None:
        if not api_key:
            raise ValueError("BearerAuthMiddleware needs a non-empty API key")
        self.app = app
        self._expected = api_key.encode()
        self._open = frozenset(open_paths)

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback
        return f"BearerAuthMiddleware(open_paths={sorted(self._open)})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope)
        if scope["type"] not in ("http", "websocket") or path in self._open or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        token = _bearer_token(scope)
        if token is not None and hmac.compare_digest(token, self._expected):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        reason = "missing" if token is None else "invalid"
        error = ServiceError(401, f"{reason} API key: send the header 'Authorization: Bearer <key>'",
                             "authentication_error", "invalid_api_key")
        response = error_response(error)
        response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path inside this app: Serve mounts the app under its route prefix (`root_path`)."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return path or "/"


def _bearer_token(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
            return None
    return None
