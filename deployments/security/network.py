"""The network half of the https check: where a listed host resolves, and where its redirects lead.

Run by the ingress after the URI matched a listed prefix (`uri_policy.check_place`), before the job exists:
- The host is resolved (`getaddrinfo`) and every address must be global: loopback, private, link-local
  (cloud metadata at 169.254.169.254), shared (100.64/10), multicast, reserved and unspecified addresses
  are refused unless inside `security.uris.private_networks`. IPv4-mapped IPv6 is judged as its IPv4.
- Redirects are walked by hand (no automatic following), each target checked (prefix, then addresses)
  before anything connects to it; the job is then given the last URL, which answers without a redirect.

Residual risk, documented in docs/reliability.md: the reader resolves the host again when the job runs, so
a host whose DNS changes between the check and the read (DNS rebinding) or a server that starts
redirecting later is not caught here; only hosts the operator listed can play either trick.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Awaitable, Callable
from urllib.parse import urljoin

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


async def check_host(place: Place, uri: str, field: str, networks: list[str], timeout_s: float) -> None:
    """Refuses (400) a URL whose host does not resolve, or resolves to any address not allowed."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(place.netloc, place.port, type=socket.SOCK_STREAM), timeout_s)
    except (OSError, asyncio.TimeoutError, UnicodeError):
        raise refusal(field, uri, "its host could not be resolved", "security.uris.read") from None
    if not infos or not all(allowed_address(info[4][0], networks) for info in infos):
        raise refusal(field, uri, "its host resolves to an address that is not public (loopback, private, "
                      "link-local or cloud metadata); list the network to allow it", "security.uris.private_networks")


async def final_url(uri: str, field: str, check: Callable[[str], Awaitable[None]], max_redirects: int,
                    timeout_s: float, transport: httpx.AsyncBaseTransport | None = None) -> str:
    """The URL the corpus is read from: `uri`, or where its checked redirects end.

    `check(url)` is awaited on every hop before it is contacted (the first hop included) and raises the
    refusal. The body is never read here: one GET per hop, closed after its status line and headers.
    `transport`: httpx's default (None), or a test's.
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

