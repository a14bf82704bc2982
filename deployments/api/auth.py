"""API-key auth with two scopes: every route but the open ones needs `Authorization: Bearer <key>`, and a
user key reaches only the user routes (`deployments.security.keys`).

An ASGI middleware rather than a FastAPI dependency, so no route, present or future (docs and OpenAPI schema
included), can forget it, and it runs before the body is read. It is always installed: with no key
configured (a loopback `make run`) every caller is admin, so route-level checks such as
`require_admin` read one place either way. Tokens are compared in constant time and never logged: a 401
says only that the key is missing or wrong, a 403 that the route needs the admin key. Hand-written:
Starlette's AuthenticationMiddleware answers in its own error shape, not the OpenAI one.

`GET /v1/auth/status` is open: the console shows an "open: no API key" badge from it, and checks a stored
key by sending it (`role` null: the key is wrong).
"""

from __future__ import annotations

from typing import Iterable

from fastapi import APIRouter, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from deployments.api.errors import error_response
from deployments.errors import ServiceError
from deployments.security.keys import ADMIN_KEY_ENV, ADMIN_KEY_FILE_ENV, Keys, Role, user_may_call

API_KEY_ENV, API_KEY_FILE_ENV = ADMIN_KEY_ENV, ADMIN_KEY_FILE_ENV  # the names callers and tests know
STATUS_PATH = "/v1/auth/status"
OPEN_PATHS = frozenset({"/healthz", "/ui", STATUS_PATH})  # probes (Kubernetes, load balancers) carry no token
# The console's static files hold no secret; the page asks for the key and sends it on each API call.
# Only the StaticFiles mount lives under /ui/ (routing matches the path as given, so "/ui/../v1/x" reaches
# the mount, which refuses to leave its folder), so opening the prefix opens no API route.
OPEN_PREFIXES = ("/ui/",)
_ROLE = "medici_role"  # where the middleware leaves the caller's role in the request state

router = APIRouter(tags=["auth"])


class BearerAuthMiddleware:
    """401 without the right Bearer token, 403 for a user key on an admin route; the OpenAI error shape."""

    def __init__(self, app: ASGIApp, keys: Keys, open_paths: Iterable[str] = OPEN_PATHS) -> None:
        self.app = app
        self._keys = keys
        self._open = frozenset(open_paths)

    def __repr__(self) -> str:  # never show a key, even in a debugger or a traceback
        return f"BearerAuthMiddleware({self._keys!r}, open_paths={sorted(self._open)})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        role = self._keys.role(_bearer_token(scope))
        scope.setdefault("state", {})[_ROLE] = role
        if path in self._open or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        if role == "admin" or (role == "user" and user_may_call(scope.get("method", "GET"), path)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if role is None:
            reason = "missing" if _bearer_token(scope) is None else "invalid"
            response = error_response(ServiceError(
                401, f"{reason} API key: send the header 'Authorization: Bearer <key>'", "authentication_error",
                "invalid_api_key"))
            response.headers["WWW-Authenticate"] = "Bearer"
        else:
            response = error_response(admin_only(f"{scope.get('method', 'GET')} {path}"))
        await response(scope, receive, send)


def admin_only(what: str) -> ServiceError:
    return ServiceError(403, f"{what} needs the admin key; the key sent is a user key", "permission_error",
                        "insufficient_scope")


def role_of(request: Request) -> Role | None:
    """The caller's role, as the middleware found it (None when it did not run: treated as no key)."""
    return request.scope.get("state", {}).get(_ROLE)


def require_admin(request: Request, what: str) -> None:
    """403 unless the caller holds the admin key (or the service is open), for checks that need the body."""
    if role_of(request) != "admin":
        raise admin_only(what)


@router.get(STATUS_PATH)
async def auth_status(request: Request) -> dict:
    """`{"auth": "open" | "key", "role": "admin" | "user" | null}`: whether the service asks for a key, and
    what the key sent with this request grants (null: none or a wrong one). Open: it answers every caller."""
    keys: Keys = request.app.state.keys
    return {"auth": "open" if keys.open else "key", "role": role_of(request)}


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
