"""API-key auth through the real Serve HTTP proxy, and no key in the logs of the run.

A second ingress runs as its own application under `/secured`, in front of the session app's
LLMServer (passed in as a handle), so it loads no model. Its key comes from a file named by
`MEDICI_API_KEY_FILE` in its runtime_env: Ray writes runtime_env env vars to
`runtime_env_agent.log`, so `MEDICI_API_KEY` itself given that way would show up in the log scan.
"""

from __future__ import annotations

import os
import time

import httpx
import pytest

from tests.integration.conftest import secured_ingress

pytestmark = pytest.mark.integration

KEY = "medici-integration-key-3e9d41c7"
WRONG = "wrong-token-77a0c2"


@pytest.fixture(scope="module")
def secured(base_url: str, tmp_path_factory):
    with secured_ingress(KEY, tmp_path_factory.mktemp("secret"), "SecuredIngress", "auth-test", "/secured"):
        with httpx.Client(base_url=f"{base_url}/secured", timeout=120) as client:
            yield client


def test_healthz_is_open_and_everything_else_needs_the_key(secured: httpx.Client):
    assert secured.get("/healthz").status_code == 200
    refused = secured.get("/v1/models", headers={"Authorization": f"Bearer {WRONG}"})
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
    assert secured.post("/v1/completions", json={"prompt": "x", "max_tokens": 1}).status_code == 401


def test_the_key_lets_the_real_model_answer(secured: httpx.Client, model_name: str):
    headers = {"Authorization": f"Bearer {KEY}"}
    assert secured.get("/v1/models", headers=headers).json()["data"][0]["id"] == model_name
    answer = secured.post("/v1/completions", headers=headers, json={"prompt": "Hello", "max_tokens": 2})
    assert answer.status_code == 200 and answer.json()["usage"]["completion_tokens"] >= 1


def test_neither_key_nor_token_is_in_the_logs_of_this_run(secured: httpx.Client):
    import ray

    secured.get("/v1/models", headers={"Authorization": f"Bearer {WRONG}"})
    secured.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"})
    time.sleep(2)  # let the replicas flush their log files
    logs_dir = ray._private.worker._global_node.get_logs_dir_path()
    leaks, scanned = [], 0
    for folder, _, files in os.walk(logs_dir):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                text = handle.read()
            scanned += 1
            if KEY.encode() in text or WRONG.encode() in text:
                leaks.append(os.path.relpath(path, logs_dir))
    assert scanned > 0
    assert leaks == []
