"""The API keys and what each may call: an admin key and an optional user key, from the environment.

- `MEDICI_API_KEY` or `MEDICI_API_KEY_FILE` (a mounted secret): the admin key, as before; alone it is the
  only key and covers everything.
- `MEDICI_USER_KEY` or `MEDICI_USER_KEY_FILE`: a user key, for inference, embeddings, search, reading
  documents, the agent and the topic routes over inline documents (`POST /v1/topics`, `/chart`,
  `/evaluate`, `/assign`, jobs over inline documents, reading jobs).
- Everything else is admin: document writes and deletes, jobs that name a URI (`corpus_uri`,
  `output_uri`), experiments and any route added later (the table lists what a user may
  call; a route not in it is admin's, so forgetting to list one fails closed).

Read when the replica builds its app, never at import. The file form matters on Ray: env vars given
through a `runtime_env` are written to Ray's `runtime_env_agent.log`, a path is harmless there. A named
file that cannot be read or holds nothing raises: starting open by mistake is worse than not starting.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Literal, Mapping

ADMIN_KEY_ENV, ADMIN_KEY_FILE_ENV = "MEDICI_API_KEY", "MEDICI_API_KEY_FILE"
USER_KEY_ENV, USER_KEY_FILE_ENV = "MEDICI_USER_KEY", "MEDICI_USER_KEY_FILE"
Role = Literal["admin", "user"]

# (method, path pattern) a user key may call; the path is the one inside the app (route prefix removed).
USER_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (method, re.compile(pattern)) for method, pattern in (
        ("GET", r"/v1/models"),
        ("POST", r"/v1/(chat/)?completions"),
        ("POST", r"/v1/embeddings"),
        ("POST", r"/v1/documents/search"),
        ("GET", r"/v1/documents(/.+)?"),
        ("POST", r"/v1/agent/ask"),
        ("POST", r"/v1/topics(/chart|/evaluate|/assign)?"),
        ("POST", r"/v1/topics/jobs"),  # the route itself asks for the admin key when the body names a URI
        ("GET", r"/v1/topics/jobs(/[^/]+(/chart)?)?"),
        ("GET", r"/(docs|redoc|openapi\.json)(/.*)?"),  # the API's description holds no data
    )
)


@dataclass(frozen=True)
class Keys:
    """The configured keys; `open` when there is none. `repr` never shows a key."""

    admin: bytes | None = None
    user: bytes | None = None

    def __repr__(self) -> str:
        return f"Keys(admin={'set' if self.admin else 'unset'}, user={'set' if self.user else 'unset'})"

    @property
    def open(self) -> bool:
        return self.admin is None

    def role(self, token: bytes | None) -> Role | None:
        """The role a presented token grants: admin, user, or None (missing or wrong). Constant-time compares,
        both always made, so the time taken does not tell which key came close."""
        if self.open:
            return "admin"
        if token is None:
            return None
        is_admin = hmac.compare_digest(token, self.admin)
        is_user = self.user is not None and hmac.compare_digest(token, self.user)
        return "admin" if is_admin else "user" if is_user else None


def user_may_call(method: str, path: str) -> bool:
    method = "GET" if method == "HEAD" else method
    return any(method == allowed and pattern.fullmatch(path) for allowed, pattern in USER_ROUTES)


def keys_from_env(environ: Mapping[str, str]) -> Keys:
    """The keys the environment names. A user key without an admin key, or the same key twice, is refused:
    either would leave the admin routes unreachable or the scopes meaningless."""
    admin = _key(environ, ADMIN_KEY_ENV, ADMIN_KEY_FILE_ENV)
    user = _key(environ, USER_KEY_ENV, USER_KEY_FILE_ENV)
    if user is not None and admin is None:
        raise ValueError(f"{USER_KEY_ENV} (or {USER_KEY_FILE_ENV}) is set without an admin key: set "
                         f"{ADMIN_KEY_ENV} or {ADMIN_KEY_FILE_ENV} too")
    if user is not None and hmac.compare_digest(user, admin):
        raise ValueError(f"the user key and the admin key ({USER_KEY_ENV}, {ADMIN_KEY_ENV}) must differ")
    return Keys(admin=admin, user=user)


def _key(environ: Mapping[str, str], env: str, file_env: str) -> bytes | None:
    key = environ.get(env, "").strip()
    if key:
        return key.encode()
    path = environ.get(file_env, "").strip()
    if not path:
        return None
    with open(path, encoding="utf-8") as handle:
        key = handle.read().strip()
    if not key:
        raise ValueError(f"{file_env} names {path}, which holds no key")
    return key.encode()
