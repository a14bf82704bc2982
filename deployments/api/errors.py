"""One error shape for every route, plain or streamed: ``{"error": {message, type, param, code}}``.

4xx are logged as warnings; 5xx as errors with the detail kept in the log, never in the reply.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from deployments import errors
from deployments.errors import ServiceError

logger = logging.getLogger("ray.serve")

# Ray's own words for "no replica can take this now": overload, not ready, or the replica died under the
# request (RayActorError covers ActorDiedError/ActorUnavailableError; a replica killed mid-request can
# also surface as a cancelled request or a crashed worker). Never the caller's fault: 503 + Retry-After.
# Matched by class name through the MRO, so this module imports nothing from Ray.
_UNAVAILABLE = frozenset({
    "BackPressureError", "DeploymentUnavailableError", "ReplicaUnavailableError", "RayActorError",
    "ActorDiedError", "ActorUnavailableError", "ActorUnschedulableError", "WorkerCrashedError", "NodeDiedError",
    "RequestCancelledError", "TaskCancelledError", "OwnerDiedError",
})
_FASTAPI_PARSE_ERROR = "There was an error parsing the body"
_HTTP_TYPES = {401: "authentication_error", 404: "not_found_error", 405: "invalid_request_error"}


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | int | None = None


class ErrorResponse(BaseModel):
    """The error shape, declared so routes can name it in their OpenAPI `responses`."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int, dict]:
    """OpenAPI `responses` for the given error statuses, all in the one error shape."""
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(status, "Error")}
            for status in statuses}


_DESCRIPTIONS = {
    400: "Invalid request", 401: "Missing or wrong API key", 404: "Unknown model or route",
    413: "Request body too large", 429: "Too many requests queued", 503: "Model not ready, overloaded or restarting",
    504: "Generation or queueing past the request timeout",
}


def as_service_error(exc: BaseException) -> ServiceError:
    """Map anything a handle call raised to the error the caller should see."""
    found = errors.find_service_error(exc)
    if found is not None:
        return found
    cause = getattr(exc, "cause", None)
    names = {cls.__name__ for kind in (type(exc), type(cause)) for cls in kind.__mro__}
    if names & _UNAVAILABLE:
        logger.warning("service unavailable: %s", type(exc).__name__)
        status = getattr(exc, "status_code", None) or getattr(cause, "status_code", None)
        if "BackPressureError" in names and status == 429:  # Serve's backpressure_config may ask for 429
            return ServiceError(429, "too many requests queued; retry shortly", "rate_limit_error", "overloaded")
        code = "overloaded" if "BackPressureError" in names else "service_unavailable"
        return errors.unavailable("the service is not available right now (starting, restarting or overloaded); "
                                  "retry shortly", code=code)
    logger.error("internal error", exc_info=exc)
    return ServiceError(500, "Internal Server Error", "internal_error", "internal_error")


def error_response(error: ServiceError) -> JSONResponse:
    if error.status >= 500:
        logger.error("%s", error)
    else:
        logger.warning("%s", error)
    headers = {"Retry-After": "1"} if error.status in (429, 503) else None
    return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)


def sse_error(error: ServiceError) -> str:
    """The same error as a server-sent event, for streams that fail after their first byte."""
    return f"data: {json.dumps(error.to_dict())}\n\n"


def _field_name(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        return error_response(errors.bad_request("the request body is not valid JSON", code="invalid_json"))
    field = _field_name(tuple(first.get("loc", ())))
    message = f"invalid value for '{field}': {first.get('msg', 'invalid')}"
    return error_response(errors.bad_request(message, param=field))


async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
    return error_response(exc)


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == _FASTAPI_PARSE_ERROR:
        # FastAPI's words for a body json.loads could not take: invalid UTF-8, nesting past the recursion limit
        return error_response(errors.bad_request(
            "the request body is not valid JSON (invalid UTF-8, or nested too deeply)", code="invalid_json"))
    kind = _HTTP_TYPES.get(exc.status_code, "invalid_request_error")
    return error_response(ServiceError(exc.status_code, str(exc.detail), kind, kind))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    return error_response(as_service_error(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
