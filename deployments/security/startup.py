"""The start-up refusal: an ingress that would serve a non-loopback address with no API key does not start.

Checked in the Ingress replica's constructor, where both halves are known: the keys (its environment)
and the address Serve's HTTP proxies bind (`http_options.host`, asked of the Serve controller; the
application's args do not carry it). A constructor that raises leaves the deployment DEPLOY_FAILED with
this message in `serve status`, and `serve run` / `serve deploy` report it. On loopback (`make run`) the
service may be open and logs one line saying so; `security.allow_open: true` opens a wider bind on purpose.
"""

from __future__ import annotations

import ipaddress
import logging

from deployments.security.keys import ADMIN_KEY_ENV, ADMIN_KEY_FILE_ENV, Keys

logger = logging.getLogger("ray.serve")


class OpenServiceRefused(RuntimeError):
    """The service would be open on an address others can reach."""


def is_loopback(host: str | None) -> bool:
    """Only this machine can connect: a loopback address, `localhost`, or no HTTP proxy at all (None)."""
    if host is None:
        return True
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name or an unparsable value: assume others can reach it
        return False


def serve_http_host() -> str | None:
    """The host Serve's HTTP proxies bind, asked of the running Serve controller.

    Raises when there is no controller to ask (outside Serve): unknown must not count as loopback.
    """
    from ray.serve.context import _get_global_client

    return _get_global_client().http_config.host


def check_open(keys: Keys, allow_open: bool, host: str | None) -> None:
    """Refuses (`OpenServiceRefused`) an open service on a non-loopback `host` unless `allow_open`; logs
    once when it runs open."""
    if not keys.open:
        logger.info("API keys required (%s)", "admin and user keys" if keys.user else "admin key")
        return
    if is_loopback(host):
        logger.warning("OPEN: no API key is set and Serve binds %s (loopback): anyone on this machine can call "
                       "every route; set %s to require a key", host, ADMIN_KEY_ENV)
        return
    if allow_open:
        logger.warning("OPEN: no API key is set and Serve binds %s; security.allow_open is true, so anyone who "
                       "reaches it can call every route, document deletes included", host)
        return
    raise OpenServiceRefused(
        f"refusing to start: Serve binds {host} (not loopback) and no API key is set. Set {ADMIN_KEY_ENV} or "
        f"{ADMIN_KEY_FILE_ENV} (a file holding the key, e.g. a mounted Secret) in the environment of the Ray "
        f"nodes, or set `security.allow_open: true` in the application args to serve open on purpose.")
