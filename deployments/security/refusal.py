"""The one 400 a refused URI gets, shared by the place check and the network check."""

from __future__ import annotations

from deployments.errors import ServiceError, bad_request

SHOWN_CHARS = 200  # how much of a refused URI the message repeats
CODE = "uri_not_allowed"


def refusal(field: str, uri: str, why: str, setting: str) -> ServiceError:
    """The field, the URI as the caller gave it, why, and the setting that decides; never a resolved path,
    an address or whether anything exists there."""
    shown = uri if len(uri) <= SHOWN_CHARS else uri[:SHOWN_CHARS] + "..."
    return bad_request(f"{field} '{shown}' is not allowed: {why} (setting {setting})", param=field, code=CODE)
