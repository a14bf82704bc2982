"""`LLMClient` over an external OpenAI-compatible endpoint (TGI, vLLM, a hosted API).

Built for an endpoint that is late, down or misconfigured, not only for the happy path:

- lazy: nothing connects until the first request, so a replica starts while the endpoint is down;
- the host is resolved on every request under its own short timeout (``loop.getaddrinfo`` under
  ``asyncio.wait_for``): a default resolver can hang 10+ s on an unresolvable name, and resolving
  each time keeps no negative cache, so a name that starts to resolve works at once;
- a short connect timeout turns a closed port or a down host into a 503 naming the endpoint, fast;
- after any transport error the HTTP client (and its connection pool) is dropped, so the request
  after the endpoint comes back opens a fresh connection: no restart needed;
- output constraints are sent in the endpoint's dialect and every answer is checked against them
  (`dialects.py`): an endpoint that ignores them gives an error, never unconstrained output;
- upstream 4xx come back as ``ServiceError`` with the upstream status and message; upstream 5xx
  as 502/503/504, so the ingress answers in the one OpenAI error shape.

The API key is read from the environment variable that the settings name, when the client first
connects; it is sent as a Bearer token and appears in no message or log line.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import socket
from typing import Any, Awaitable, Callable

import httpx

from deployments import errors
from deployments.errors import ServiceError
from deployments.llm import dialects
from deployments.llm.backend_settings import LLMBackendSettings

logger = logging.getLogger("ray.serve")

Resolver = Callable[[str, int], Awaitable[Any]]


async def _getaddrinfo(host: str, port: int) -> Any:
    return await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)


class OpenAIEndpointClient:
    """The `LLMClient` protocol over ``POST {base_url}/completions`` and ``{base_url}/chat/completions``."""

    def __init__(self, settings: LLMBackendSettings | dict, resolver: Resolver | None = None) -> None:
        if not isinstance(settings, LLMBackendSettings):
            settings = LLMBackendSettings.model_validate(settings)
        if settings.kind != "openai" or settings.base_url is None:
            raise ValueError("OpenAIEndpointClient needs settings with kind 'openai' and a base_url")
        self.settings = settings
        url = httpx.URL(settings.base_url)
        self._host = url.host
        self._port = url.port or (443 if url.scheme == "https" else 80)
        # the endpoint as messages name it: no credentials, no query string
        self.endpoint = f"{url.scheme}://{url.netloc.decode().rpartition('@')[2]}{url.path.rstrip('/')}"
        self._base = settings.base_url.rstrip("/")
        self._resolve = resolver or _getaddrinfo
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- LLMClient -------------------------------------------------------------------------------
    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._post("/completions", request)

    async def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._post("/chat/completions", request)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # --- internals -------------------------------------------------------------------------------
    async def _post(self, path: str, request: dict[str, Any]) -> dict[str, Any]:
        body, spec = dialects.translate(request, self.settings.dialect)  # 400 if the dialect cannot constrain
        body = {**body, "stream": False}  # this protocol returns whole responses
        if self.settings.model is not None:
            body["model"] = self.settings.model
        await self._check_resolves()
        client = self._connected()
        try:
            response = await client.post(self._base + path, json=body)
        except httpx.ConnectTimeout:
            await self._drop()
            raise self._down(f"no connection within {self.settings.connect_timeout_s:g}s") from None
        except httpx.TimeoutException:
            await self._drop()
            raise errors.timeout(
                f"the LLM endpoint {self.endpoint} did not answer within {self.settings.timeout_s:g}s"
            ) from None
        except httpx.TransportError as exc:  # refused, reset, closed mid-reply: the endpoint is down
            await self._drop()
            raise self._down(_reason(exc)) from None
        payload = self._parse(response)
        if spec is not None:  # fail closed: an endpoint that ignored the constraint is an error, not an answer
            dialects.check(payload, spec, self.settings.dialect, self.endpoint)
        return payload

    async def _check_resolves(self) -> None:
        if _is_ip(self._host):
            return
        timeout_s = self.settings.resolve_timeout_s
        try:
            addresses = await asyncio.wait_for(self._resolve(self._host, self._port), timeout_s)
        except asyncio.TimeoutError:
            raise self._down(f"host '{self._host}' did not resolve within {timeout_s:g}s",
                             code="llm_endpoint_unresolvable") from None
        except OSError as exc:  # socket.gaierror: the name does not exist
            raise self._down(f"host '{self._host}' does not resolve ({exc.strerror or exc})",
                             code="llm_endpoint_unresolvable") from None
        if not addresses:
            raise self._down(f"host '{self._host}' has no address", code="llm_endpoint_unresolvable")

    def _connected(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:  # a client is bound to the loop that made it
            headers = {}
            if self.settings.api_key_env:
                key = os.environ.get(self.settings.api_key_env)
                if not key:
                    raise errors.unavailable(
                        f"the API key for the LLM endpoint {self.endpoint} is not set "
                        f"(environment variable {self.settings.api_key_env})",
                        code="llm_endpoint_misconfigured",
                    )
                headers["Authorization"] = f"Bearer {key}"
            timeout = httpx.Timeout(self.settings.timeout_s, connect=self.settings.connect_timeout_s)
            self._client = httpx.AsyncClient(timeout=timeout, headers=headers)
            self._loop = loop
        return self._client

    async def _drop(self) -> None:
        """Forget the client and its pool: the next request connects afresh."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # noqa: BLE001 - closing a broken pool must not hide the real error
                logger.debug("closing the LLM endpoint client failed", exc_info=True)

    def _down(self, reason: str, code: str = "llm_endpoint_unavailable") -> ServiceError:
        logger.warning("LLM endpoint %s unavailable: %s", self.endpoint, reason)
        return errors.unavailable(f"the LLM endpoint {self.endpoint} is not available: {reason}", code=code)

    def _parse(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status < 300:
            try:
                payload = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                payload = None
            if not isinstance(payload, dict):
                raise ServiceError(502, f"the LLM endpoint {self.endpoint} answered with something that is "
                                        "not a JSON object", "upstream_error", "bad_gateway")
            return payload
        message, kind, param = _upstream_error(response)
        text = f"the LLM endpoint {self.endpoint} answered {status}: {message}"
        if status < 500:
            raise ServiceError(status, text, kind or "invalid_request_error", "upstream_error", param)
        if status in (503, 504):
            raise ServiceError(status, text, "service_unavailable" if status == 503 else "timeout", "upstream_error")
        raise ServiceError(502, text, "upstream_error", "bad_gateway")


def _upstream_error(response: httpx.Response) -> tuple[str, str | None, str | None]:
    """Message, type and param of an upstream error body: OpenAI's shape, FastAPI's, or plain text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:500] or response.reason_phrase, None, None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message", ""))[:500], error.get("type"), error.get("param")
        if isinstance(error, str):
            return error[:500], None, None
        if "detail" in body:
            return str(body["detail"])[:500], None, None
    return str(body)[:500], None, None


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc or 'refused'})"
    return f"{type(exc).__name__} ({exc})" if str(exc) else type(exc).__name__


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
