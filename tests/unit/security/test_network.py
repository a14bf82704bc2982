"""The https half: which addresses count as public, and the redirect walk (httpx's MockTransport, no sockets)."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from deployments.errors import ServiceError
from deployments.security import network
from deployments.security.places import parse
from deployments.security.settings import UriPolicy
from deployments.security.uri_policy import allowed_uri, check_place


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                                     "169.254.169.254", "fe80::1", "fd00:ec2::254", "100.100.100.200", "0.0.0.0",
                                     "::", "224.0.0.1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
                                     "240.0.0.1", "192.0.2.1"])
def test_loopback_private_link_local_metadata_and_reserved_addresses_are_not_public(address):
    assert not network.is_public(ipaddress.ip_address(address))
    assert not network.allowed_address(address, [])


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::6810:85e5", "::ffff:8.8.8.8"])
def test_global_addresses_are_public(address):
    assert network.allowed_address(address, [])


def test_a_listed_network_allows_its_private_addresses_only():
    assert network.allowed_address("10.1.2.3", ["10.1.2.0/24"])
    assert network.allowed_address("fe80::1%eth0", ["fe80::/64"])  # a scoped IPv6 address from getaddrinfo
    assert not network.allowed_address("10.1.3.3", ["10.1.2.0/24"])
    assert network.allowed_address("::ffff:127.0.0.1", ["127.0.0.0/8"])


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9/x", "http://[::1]:9/x", "http://169.254.169.254/latest",
                                 "http://localhost:9/x"])
def test_a_listed_host_that_resolves_to_a_private_address_is_refused(uri):
    place = parse(uri)
    with pytest.raises(ServiceError) as caught:
        asyncio.run(network.check_host(place, uri, "corpus_uri", [], 5.0))
    assert caught.value.code == "uri_not_allowed" and "security.uris.private_networks" in caught.value.message
    asyncio.run(network.check_host(place, uri, "corpus_uri", ["127.0.0.0/8", "::1/128", "169.254.0.0/16"], 5.0))


def test_a_host_that_does_not_resolve_is_refused():
    uri = "https://no-such-host.invalid/x"
    with pytest.raises(ServiceError, match="could not be resolved"):
        asyncio.run(network.check_host(parse(uri), uri, "corpus_uri", [], 5.0))


def _walk(uri: str, routes: dict[str, httpx.Response], allowed: list[str]) -> tuple[str, list[str]]:
    """final_url over a fake server answering `routes`; the place check alone per hop (no DNS)."""
    contacted: list[str] = []
    policy = UriPolicy(read=allowed)

    def handler(request: httpx.Request) -> httpx.Response:
        contacted.append(str(request.url))
        return routes.get(str(request.url), httpx.Response(404))

    async def check(url: str) -> None:
        check_place(url, "corpus_uri", policy, False)

    final = asyncio.run(network.final_url(uri, "corpus_uri", check, 3, 5.0, transport=httpx.MockTransport(handler)))
    return final, contacted


def test_redirects_inside_the_allowed_places_are_followed_to_the_final_url():
    routes = {"https://a.example/c/x": httpx.Response(302, headers={"location": "/c/y"}),
              "https://a.example/c/y": httpx.Response(301, headers={"location": "https://b.example/z"}),
              "https://b.example/z": httpx.Response(200, text="{}")}
    final, contacted = _walk("https://a.example/c/x", routes, ["https://a.example/c", "https://b.example"])
    assert final == "https://b.example/z" and contacted == list(routes)


@pytest.mark.parametrize("target", ["http://127.0.0.1:9/secret", "http://169.254.169.254/latest/meta-data/",
                                    "https://a.example/other", "file:///etc/passwd"])
def test_a_redirect_outside_is_refused_before_its_target_is_contacted(target):
    routes = {"https://a.example/c/x": httpx.Response(302, headers={"location": target})}
    with pytest.raises(ServiceError) as caught:
        _walk("https://a.example/c/x", routes, ["https://a.example/c"])
    message = caught.value.message
    assert "redirects to a place that is not allowed" in message and "https://a.example/c/x" in message
    assert target not in message


def test_a_redirect_loop_stops_at_max_redirects():
    routes = {"https://a.example/c/x": httpx.Response(302, headers={"location": "/c/x"})}
    with pytest.raises(ServiceError, match="more than 3 times"):
        _walk("https://a.example/c/x", routes, ["https://a.example/c"])


def test_allowed_uri_leaves_local_and_bucket_uris_as_given(tmp_path):
    policy = UriPolicy(read=[str(tmp_path), "s3://b"])
    assert asyncio.run(allowed_uri(f"{tmp_path}/x.jsonl", "corpus_uri", policy)) == f"{tmp_path}/x.jsonl"
    assert asyncio.run(allowed_uri("s3://b/k.jsonl", "corpus_uri", policy)) == "s3://b/k.jsonl"


def test_the_checked_backend_refuses_at_connect_time_and_connects_to_the_address_it_checked():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    async def connect(networks: list[str]):
        backend = network.CheckedBackend(networks, 5.0)
        stream = await backend.connect_tcp("127.0.0.1", port)
        peer = stream.get_extra_info("socket").getpeername()
        await stream.aclose()
        return peer

    try:
        with pytest.raises(network.AddressRefused):
            asyncio.run(connect([]))
        assert asyncio.run(connect(["127.0.0.0/8", "::1/128"]))[1] == port
    finally:
        server.close()
