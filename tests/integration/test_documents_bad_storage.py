"""A document database that cannot be opened: the DocumentStore replica fails to start with a message
naming the setting, `/healthz` answers 503 saying why, and no credential appears in either.

Runs its own application (`badstore`, under `/badstore`) in the session's Ray cluster, deleted afterwards.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.conftest import app_args_for_tests

pytestmark = pytest.mark.integration

APP = "badstore"
SECRET = "never-show-this-secret-value"


def test_unopenable_database_fails_start_and_healthz_says_why(base_url: str, tmp_path) -> None:
    from ray import serve

    from app import build_app

    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("the database path is a file")
    args = app_args_for_tests()
    args["documents"] = {"storage": {"uri": str(not_a_directory), "storage_options": {"aws_secret_access_key": SECRET}}}
    args["options"] = {"LLMServer": {"ray_actor_options": {"num_cpus": 0.25}},
                       "Embedder": {"ray_actor_options": {"num_cpus": 0}},
                       "Ingress": {"ray_actor_options": {"num_cpus": 0}},
                       "DocumentStore": {"ray_actor_options": {"num_cpus": 0}}}
    try:
        try:
            serve.run(build_app(args), name=APP, route_prefix=f"/{APP}", blocking=False)
        except RuntimeError as exc:  # Serve gives up on the deployment after its constructor failed repeatedly
            assert "DocumentStore" in str(exc) and SECRET not in str(exc), exc
        body, deadline = None, time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                reply = httpx.get(f"{base_url}/{APP}/healthz", timeout=30)
                if reply.status_code == 503 and "documents.storage.uri" in reply.text:
                    body = reply.json()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        assert body is not None, "healthz never said why the document store did not start"
        assert body["error"]["code"] == "documents_not_ready"
        assert "not a writable directory" in body["error"]["message"] and SECRET not in body["error"]["message"]
        message = serve.status().applications[APP].deployments["DocumentStore"].message
        assert "documents.storage.uri" in message and SECRET not in message
    finally:
        serve.delete(APP)
