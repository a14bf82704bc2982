"""The network half of the https check: where a listed host resolves, and where its redirects lead.

Run by the ingress after the URI matched a listed prefix (`uri_policy.check_place`), before the job exists:
- The host is resolved (`getaddrinfo`) and every address must be global: loopback, private, link-local
  (cloud metadata at 169.254.169.254), shared (100.64/10), multicast, reserved and unspecified addresses
  are refused unless inside `security.uris.private_networks`. IPv4-mapped IPv6 is judged as its IPv4.
- Redirects are walked by hand (no automatic following), each target checked (prefix, then addresses)
  before anything connects to it; the job is then given the last URL, which answers without a redirect.
- The walk's own connections go through `CheckedBackend`: it resolves the host once, checks every address
  and connects to the address it checked, so a DNS answer that changes after the check (rebinding) cannot
  point the ingress's request at the cluster's network. No proxy from the environment (`trust_env` off).

Residual risk, documented in docs/reliability.md: the job's reader resolves the host again when the job
runs, so a host whose DNS changes between the check and the read, or a server that starts redirecting
later, is not caught here; only hosts the operator listed can play either trick.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import Awaitable, Callable, Iterable
from urllib.parse import urljoin

import certifi
import httpcore
import httpx

from deployments.errors import ServiceError
from deployments.security.places import Place
from deployments.security.refusal import refusal

_REDIRECTS = (301, 302, 303, 307, 308)
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Whether an address is one the open internet routes: not loopback, private, link-local, metadata..."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def allowed_address(text: str, networks: list[str]) -> bool:
    """A resolved address (`getaddrinfo`'s text, maybe with an IPv6 `%scope`) is public or inside a listed network."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if is_public(address):
        return True
    mapped = getattr(address, "ipv4_mapped", None)
    return any((mapped or address) in ipaddress.ip_network(network, strict=False) for network in networks)


class AddressRefused(Exception):
    """A host that does not resolve, or resolves to an address that is not allowed."""

    def __init__(self, resolved: bool) -> None:
        super().__init__("not allowed" if resolved else "not resolved")
        self.resolved = resolved


async def allowed_addresses(host: str, port: int, networks: list[str], timeout_s: float) -> list[str]:
    """Every address `host` resolves to, when all are allowed; else `AddressRefused`."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout_s)
    except (OSError, asyncio.TimeoutError, UnicodeError):
        raise AddressRefused(resolved=False) from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(allowed_address(address, networks) for address in addresses):
        raise AddressRefused(resolved=True)
    return addresses


def address_refusal(exc: AddressRefused, uri: str, field: str):
    if not exc.resolved:
        return refusal(field, uri, "its host could not be resolved", "security.uris.read")
    return refusal(field, uri, "its host resolves to an address that is not public (loopback, private, "
                   "link-local or cloud metadata); list the network to allow it", "security.uris.private_networks")


async def check_host(place: Place, uri: str, field: str, networks: list[str], timeout_s: float) -> None:
    """Refuses (400) a URL whose host does not resolve, or resolves to any address not allowed."""
    try:
        await allowed_addresses(place.netloc, place.port, networks, timeout_s)
    except AddressRefused as exc:
        raise address_refusal(exc, uri, field) from None


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend that connects only to the allowed address it resolved and checked itself."""

    def __init__(self, networks: list[str], timeout_s: float) -> None:
        self.networks, self.timeout_s = networks, timeout_s
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await allowed_addresses(host, port, self.networks, self.timeout_s)
        return await self.inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args, **kwargs):  # noqa: ANN002, ANN003 - never a unix socket here
        raise AddressRefused(resolved=False)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def checked_transport(networks: list[str], timeout_s: float) -> httpx.AsyncHTTPTransport:
    """httpx's transport over `CheckedBackend` (TLS still verifies the host name: SNI is the URL's host)."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001 - httpx takes no network backend argument
        ssl_context=ssl.create_default_context(cafile=certifi.where()), max_connections=4,
        network_backend=CheckedBackend(networks, timeout_s))
    return transport


async def final_url(uri: str, field: str, check: Callable[[str], Awaitable[None]], max_redirects: int,
                    timeout_s: float, transport: httpx.AsyncBaseTransport) -> str:
    """The URL the corpus is read from: `uri`, or where its checked redirects end.

    `check(url)` is awaited on every hop before it is contacted (the first hop included) and raises the
    refusal. The body is never read here: one GET per hop, closed after its status line and headers.
    `transport`: `checked_transport(...)`, or a test's.
    """
    url = uri
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout_s, transport=transport) as client:
        for hop in range(max_redirects + 1):
            try:
                await check(url)
            except ServiceError:
                if hop == 0:
                    raise
                raise refusal(field, uri, "it redirects to a place that is not allowed", "security.uris.read") \
                    from None
            try:
                async with client.stream("GET", url) as response:
                    location = response.headers.get("location") if response.status_code in _REDIRECTS else None
            except AddressRefused as exc:  # the host's DNS answer changed since `check`: refused at connect
                raise address_refusal(exc, uri, field) from None
            except httpx.TimeoutException:
                raise refusal(field, uri, "it did not answer in time to check its redirects",
                              "security.uris.resolve_timeout_s") from None
            except httpx.HTTPError:
                raise refusal(field, uri, "it could not be reached to check its redirects", "security.uris.read") \
                    from None
            if location is None:
                return url
            url = urljoin(url, location)
    raise refusal(field, uri, f"it redirects more than {max_redirects} times", "security.uris.max_redirects")

