"""One real local Ray Serve for the whole test session, running the real app and the real model.

Small settings keep it inside a 2-core machine: fractional CPUs per deployment, two torch threads,
and a short request timeout so the timeout test does not wait a minute.
"""

from __future__ import annotations

import socket
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import httpx
import pytest

REQUEST_TIMEOUT_S = 60.0
INGRESS_DEADLINE_S = 120.0  # the ingress's whole-request deadline, queueing included; above REQUEST_TIMEOUT_S


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@lru_cache(maxsize=1)
def data_dir_for_tests() -> str:
    """One fresh database directory per test session, so runs never share stored documents or jobs."""
    return tempfile.mkdtemp(prefix="medici-test-data-")


def app_args_for_tests() -> dict:
    """Application args of the session's Serve app; the integration tests of every feature share it."""
    return {
        "llm": {"torch_threads": 1},
        "llm_runtime": {"request_timeout_s": REQUEST_TIMEOUT_S, "max_batch_size": 16},
        "ingress": {"max_body_bytes": 1024 * 1024, "request_timeout_s": INGRESS_DEADLINE_S},
        "documents": {"corpus_uri": "data/company_docs.jsonl", "storage": {"data_dir": data_dir_for_tests()}},
        "topics": {"max_labels": 2, "max_tokens": 12},
        # HTTP callers may name corpora and results under the temporary directory (pytest's tmp_path lives
        # there); tests/integration/test_uri_policy.py checks the refusals on an ingress with a strict policy
        "security": {"uris": {"read": ["data", tempfile.gettempdir()], "write": [tempfile.gettempdir()]}},
        # two replicas on one database: tests/integration/test_documents.py checks they share it
        "options": {"DocumentStore": {"num_replicas": 2, "ray_actor_options": {"num_cpus": 0.25}}},
    }


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    import ray
    from ray import serve

    from app import build_app

    port = _free_port()
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build_app(app_args_for_tests()), name="medici", route_prefix="/", blocking=False)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url)
        yield url
    finally:
        serve.shutdown()
        ray.shutdown()


def _wait_healthy(url: str, timeout_s: float = 300.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"Serve app at {url} was not healthy within {timeout_s}s")


@pytest.fixture(scope="session")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        yield client


@pytest.fixture(scope="session")
def openai_client(base_url: str):
    from openai import OpenAI

    return OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=120)


@pytest.fixture(scope="session")
def model_name(http: httpx.Client) -> str:
    return http.get("/v1/models").json()["data"][0]["id"]


@contextmanager
def secured_ingress(key: str, key_dir: Path, deployment: str, app_name: str, route_prefix: str) -> Iterator[None]:
    """A second ingress that asks for ``key`` (read from a file, as MEDICI_API_KEY_FILE says) in front of the
    session app's models, served at ``route_prefix`` while the block runs."""
    from ray import serve

    from deployments.api.ingress import Ingress

    key_file = key_dir / "api_key"
    key_file.write_text(key)
    key_file.chmod(0o600)
    ingress = serve.deployment(serve.ingress()(Ingress), name=deployment,
                               ray_actor_options={"num_cpus": 0,
                                                  "runtime_env": {"env_vars": {"MEDICI_API_KEY_FILE": str(key_file)}}})
    app = ingress.bind(llm=serve.get_deployment_handle("LLMServer", app_name="medici"),
                       embedder=serve.get_deployment_handle("Embedder", app_name="medici"))
    serve.run(app, name=app_name, route_prefix=route_prefix)
    try:
        yield
    finally:
        serve.delete(app_name)
