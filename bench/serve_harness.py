"""Starts the real app on a private local Ray Serve for a benchmark, and stops it afterwards."""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(health_url: str, timeout_s: float, what: str, interval_s: float = 1.0) -> None:
    """Poll ``health_url`` until it answers 200; past ``timeout_s`` raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(health_url, timeout=5).status_code == 200:
                return
        time.sleep(interval_s)
    raise TimeoutError(f"{what} did not become healthy")


@contextlib.contextmanager
def running_app(app_args: dict, timeout_s: float = 600.0) -> Iterator[str]:
    """Yield the base URL of the app served from a fresh local Ray; always shut both down."""
    import ray
    from ray import serve

    from app import build_app

    port = free_port()
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build_app(app_args), name="medici", route_prefix="/", blocking=False)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(f"{url}/healthz", timeout_s, "the app")
        yield url
    finally:
        serve.shutdown()
        ray.shutdown()
