"""A private single-node Ray cluster for one test: `ray start --head --block` in its own process group.

Never `ray stop`: it stops every Ray cluster of this machine's user, other developers' included.
This one is stopped by signalling its own process group, then any process still naming its private
temp dir is ended by pid. All ports are free ones picked here, so it sits beside other clusters.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import httpx

from tests.net import free_ports

BIN = Path(sys.executable).parent  # the venv's `ray` and `serve` scripts
T = TypeVar("T")


def clean_env(token: str | None = None) -> dict[str, str]:
    """The environment for Ray CLIs: no RAY_ADDRESS pointing at somebody else's cluster, and this
    cluster's own auth token (Ray 2.60 enables token auth by default; ~/.ray/auth_token is shared)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RAY_ADDRESS", "PYTHONPATH", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_TOKEN", "RAY_AUTH_MODE")}
    if token:
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    return env


@dataclass(frozen=True)
class RayHead:
    gcs_address: str
    dashboard_url: str
    temp_dir: str
    log: Path
    token: str

    @property
    def env(self) -> dict[str, str]:
        """Environment for `serve` / `medici deploy` commands talking to this cluster."""
        return clean_env(self.token)


# `ray start` gives the raylet a fixed 30 s to register with the GCS; on a loaded 2-core machine it can miss
# that and exit. Such a start is tried once more on fresh ports and a fresh temp dir.
START_ATTEMPTS = 2


class RayStartFailed(RuntimeError):
    """`ray start` exited before its node answered."""


def session_log_tails(temp_dir: str | Path, chars: int = 1500) -> str:
    """The ends of the GCS's and raylet's own logs under ``temp_dir``: why a node did not come up."""
    wanted = ("gcs_server.out", "gcs_server.err", "raylet.out", "raylet.err")
    parts = []
    for path in sorted(Path(temp_dir).glob("session_*/logs/*")):
        if path.name in wanted:
            text = path.read_text(errors="ignore")[-chars:]
            if text.strip():
                parts.append(f"--- {path.name}\n{text}")
    return "\n".join(parts)


def start_with_retry(start: Callable[[], T], what: str) -> T:
    """``start()``, tried again once if `ray start` exited early (RayStartFailed); the first failure's
    logs go to stderr so a flaky machine stays visible in the test output."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return start()
        except RayStartFailed as failed:
            if attempt == START_ATTEMPTS:
                raise
            print(f"{what}: ray start failed on attempt {attempt}, trying again:\n{failed}", file=sys.stderr)
    raise AssertionError("unreachable")


def _wait_ready(url: str, token: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> str:
    """The GCS address once the dashboard answers and `ray start` has written the address file."""
    address_file = log.parent / "ray_current_cluster"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RayStartFailed(f"ray start exited with {proc.returncode}:\n{log.read_text()[-3000:]}\n"
                                 f"{session_log_tails(log.parent)}")
        try:
            answered = httpx.get(f"{url}/api/version", headers={"Authorization": f"Bearer {token}"}, timeout=5)
            if answered.status_code == 200 and address_file.is_file() and address_file.read_text().strip():
                return address_file.read_text().strip()
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"the Ray dashboard at {url} did not answer within {timeout_s:g}s:\n{log.read_text()[-3000:]}")


def _leftovers(marker: str) -> list[int]:
    """Pids of this user's processes whose command line names ``marker`` (our private temp dir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="ignore")
            if entry.stat().st_uid == os.getuid() and marker in cmdline:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _stop(proc: subprocess.Popen, temp_dir: str) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # our own group only: `ray start --block` and what it spawned
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _leftovers(temp_dir) and time.monotonic() < deadline:
        time.sleep(1)
    for pid in _leftovers(temp_dir):  # workers that outlived their raylet, ours by their temp dir
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _start_head(num_cpus: int, object_store_bytes: int, timeout_s: float) -> tuple[RayHead, subprocess.Popen]:
    """One `ray start --head --block` on fresh ports, waited for; stopped and removed again if it fails."""
    temp_dir = tempfile.mkdtemp(prefix="medici-ray-", dir="/tmp")  # short: Ray's socket paths have a limit
    names = ("--port", "--dashboard-port", "--ray-client-server-port", "--dashboard-agent-listen-port",
             "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port",
             "--node-manager-port", "--object-manager-port")
    ports = dict(zip(names, free_ports(len(names))))
    gcs, dashboard = ports["--port"], ports["--dashboard-port"]
    args = [str(BIN / "ray"), "start", "--head", "--block",
            "--num-cpus", str(num_cpus), "--num-gpus", "0", "--object-store-memory", str(object_store_bytes),
            "--temp-dir", temp_dir, "--include-dashboard", "true", "--dashboard-host", "127.0.0.1",
            "--disable-usage-stats", *[str(x) for kv in ports.items() for x in kv]]
    log = Path(temp_dir) / "ray-start.log"
    token = secrets.token_hex(32)
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=clean_env(token),
                                start_new_session=True)  # its own process group, to stop it alone
    try:
        url = f"http://127.0.0.1:{dashboard}"
        # the GCS address as Ray writes it (the node's IP; Ray maps 127.0.0.1 to that IP anyway)
        address = _wait_ready(url, token, proc, log, timeout_s)
        assert address.endswith(f":{gcs}"), address
    except BaseException:
        _stop(proc, temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    return RayHead(address, url, temp_dir, log, token), proc


@contextmanager
def ray_head(num_cpus: int = 4, object_store_bytes: int = 400 * 1024 * 1024,
             timeout_s: float = 240.0) -> Iterator[RayHead]:
    head, proc = start_with_retry(lambda: _start_head(num_cpus, object_store_bytes, timeout_s), "ray_head")
    try:
        yield head
    finally:
        _stop(proc, head.temp_dir)
        shutil.rmtree(head.temp_dir, ignore_errors=True)
