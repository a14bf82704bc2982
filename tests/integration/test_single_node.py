"""The single-node path end to end: `ray start --head`, `serve deploy` of serve_config.yaml with its
working_dir pointing at a zip of this repository on loopback HTTP, `serve status` until RUNNING,
one real completion, then the cluster is stopped (our own process group, never `ray stop`).

The deployed config is the production one with only what a 2-core machine needs changed: CPU
instead of GPU, one replica each, the test app args, a free HTTP port. Everything else (health
checks, graceful shutdown, user_config, the import path) is what production deploys.
"""

from __future__ import annotations

import copy
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.archive_server import (
    FAKE_SHA, REPO_ROOT, Route, production_config, repo_zip, serve_archives, with_working_dir, write_config,
)
from tests.integration.conftest import app_args_for_tests
from tests.net import free_port
from tests.ray_head import BIN, RayHead, ray_head

pytestmark = pytest.mark.integration
APP = "medici"
RUNNING_TIMEOUT_S = 600.0


def _deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def single_node_config(url: str, port: int) -> dict:
    """The production config sized for this machine; deployments are taken from the config, not listed here."""
    config = production_config()
    config["http_options"].update(host="127.0.0.1", port=port)
    for app in config["applications"]:
        app["runtime_env"]["working_dir"] = url
        app["args"] = _deep_merge(app.get("args") or {}, app_args_for_tests())
        for deployment in app["deployments"]:
            deployment.pop("autoscaling_config", None)
            deployment["num_replicas"] = 1
            deployment["ray_actor_options"] = {"num_cpus": 0.5, "num_gpus": 0}
    return config


def _serve(head: RayHead, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "serve"), *args, "-a", head.dashboard_url], capture_output=True, text=True,
                          timeout=timeout, env=head.env, cwd="/tmp")


def _preflight(head: RayHead, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "python"), "-m", "cli.deploy", "preflight", str(config), "--address",
                           head.gcs_address], cwd=REPO_ROOT, env=head.env, capture_output=True, text=True, timeout=600)


def _wait_running(head: RayHead) -> dict:
    deadline, last = time.monotonic() + RUNNING_TIMEOUT_S, {}
    while time.monotonic() < deadline:
        proc = _serve(head, "status", timeout=60)
        status = yaml.safe_load(proc.stdout or "{}") or {}
        last = (status.get("applications") or {}).get(APP) or {}
        if last.get("status") == "RUNNING":
            return last
        if last.get("status") == "DEPLOY_FAILED":
            pytest.fail(f"deploy failed: {last.get('message')}\n{proc.stdout}")
        time.sleep(3)
    pytest.fail(f"{APP} not RUNNING within {RUNNING_TIMEOUT_S:g}s; last status: {last}")


def test_ray_start_serve_deploy_status_request_stop(tmp_path: Path):
    archive = f"/medici-ai/medici/archive/{FAKE_SHA}.zip"
    port = free_port()
    with serve_archives({archive: Route(repo_zip(f"medici-{FAKE_SHA}/"))}) as server, ray_head() as head:
        config = write_config(tmp_path / "serve_config.yaml", single_node_config(server.url(archive), port))

        # the preflight passes against this cluster, GPU check included (0 needed, 0 there)...
        pre = _preflight(head, config)
        assert pre.returncode == 0, pre.stdout + pre.stderr
        assert f"GPU requests fit: at least 0 needed (none), the cluster at {head.gcs_address} has 0" in pre.stdout
        # ...and refuses the production config here: it asks for a GPU this cluster does not have
        production = with_working_dir(production_config(), server.url(archive))
        pre = _preflight(head, write_config(tmp_path / "production.yaml", production))
        assert pre.returncode == 1, pre.stdout + pre.stderr
        assert "FAIL  [gpus] the deployments need at least 1 GPUs (medici/LLMServer 1 x 1)" in pre.stdout
        assert pre.stdout.rstrip().splitlines()[-1].startswith("preflight: 1 failed")

        deployed = _serve(head, "deploy", str(config))
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        status = _wait_running(head)
        configured = {d["name"] for d in production_config()["applications"][0]["deployments"]}
        assert configured <= set(status["deployments"])
        assert {d["status"] for d in status["deployments"].values()} == {"HEALTHY"}
        assert server.seen, "the cluster downloaded working_dir from the loopback server"

        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", timeout=30).json()["status"] == "ok"
        reply = httpx.post(f"{base}/v1/completions", json={"prompt": "The capital of France is", "max_tokens": 4,
                                                           "temperature": 0}, timeout=120)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["object"] == "text_completion"
        assert body["model"] == "smollm2-135m-instruct"
        assert isinstance(body["choices"][0]["text"], str) and body["choices"][0]["text"]
        assert body["choices"][0]["finish_reason"] in ("length", "stop")
        assert 1 <= body["usage"]["completion_tokens"] <= 4

        shutdown = _serve(head, "shutdown", "-y", timeout=180)
        assert shutdown.returncode == 0, shutdown.stdout + shutdown.stderr
