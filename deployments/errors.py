"""One error type for every layer, so a status chosen deep in a replica reaches the caller intact.

Ray re-raises a replica's exception in the caller wrapped in a ``RayTaskError``; ``find_service_error``
unwraps it, so the ingress can answer with the status the replica meant instead of a 500.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error with an HTTP status and an OpenAI error type, safe to show to the caller."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(status, message, type, code, param)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def __str__(self) -> str:
        return f"{self.status} {self.type}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI error body: ``{"error": {"message", "type", "param", "code"}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code if self.code is not None else self.status,
            }
        }


def bad_request(message: str, param: str | None = None, code: str = "invalid_value") -> ServiceError:
    return ServiceError(400, message, "invalid_request_error", code, param)


def not_found(message: str, code: str = "not_found") -> ServiceError:
    return ServiceError(404, message, "invalid_request_error", code)


def timeout(message: str) -> ServiceError:
    return ServiceError(504, message, "timeout", "timeout")


def unavailable(message: str, code: str = "service_unavailable") -> ServiceError:
    return ServiceError(503, message, "service_unavailable", code)


def find_service_error(exc: BaseException) -> ServiceError | None:
    """The ``ServiceError`` behind ``exc``, looking through Ray's wrappers and exception chains."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ServiceError):
            return current
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else (current.__cause__ or current.__context__)
    return None
