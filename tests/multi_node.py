"""A private multi-node Ray cluster on one machine: a head and worker nodes, each `ray start --block` in
its own process group with its own temp dir, so one node can be killed alone (a node lost, not
`ray stop`, which stops every cluster of this machine's user).

Worker nodes join with `ray start --address` and their own resources (one CPU and a custom resource
standing in for a GPU), exactly as a KubeRay worker pod joins its head. All ports are free ones picked
here, so the cluster sits beside other clusters on the same machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import httpx

from tests.net import free_ports
from tests.ray_head import (
    BIN, RayStartFailed, _leftovers, _wait_ready, clean_env, session_log_tails, start_with_retry,
)

# A lost node is declared dead after period x threshold; Ray's defaults (3 s x 5) are for real networks.
FAST_NODE_DEATH = {"RAY_health_check_period_ms": "1000", "RAY_health_check_failure_threshold": "3",
                   "RAY_health_check_initial_delay_ms": "1000"}


@dataclass
class Node:
    """One `ray start --block` process group; ``name`` is also a custom resource only this node has."""

    name: str
    proc: subprocess.Popen
    temp_dir: str
    log: Path
    resources: dict[str, float]

    def session_logs(self) -> list[Path]:
        """This node's log directories (one per session Ray created under its temp dir)."""
        return sorted(Path(self.temp_dir).glob("session_*/logs"))


@dataclass
class MultiNodeCluster:
    gcs_address: str
    dashboard_url: str
    token: str
    head: Node
    workers: dict[str, Node] = field(default_factory=dict)
    killed: list[Node] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """Environment for `serve` commands talking to this cluster."""
        return clean_env(self.token)

    def api(self, path: str, timeout: float = 30) -> dict:
        """GET a dashboard JSON endpoint (Serve's REST API, the state API)."""
        reply = httpx.get(f"{self.dashboard_url}{path}", headers={"Authorization": f"Bearer {self.token}"},
                          timeout=timeout)
        reply.raise_for_status()
        return reply.json()

    def alive_nodes(self) -> dict[str, str]:
        """Node id -> our node name, for the nodes Ray counts as alive."""
        rows = self.api("/api/v0/nodes?limit=100&detail=true")["data"]["result"]["result"]
        names = {}
        for row in rows:
            if row.get("state") != "ALIVE":
                continue
            mine = [n for n in [self.head.name, *self.workers] if n in (row.get("resources_total") or {})]
            names[row["node_id"]] = mine[0] if mine else "?"
        return names

    def add_worker(self, name: str, resources: dict[str, float], num_cpus: float = 1,
                   timeout_s: float = 120) -> Node:
        """Start a worker node with its own resources (plus ``name`` itself) and wait until Ray counts it."""
        return start_with_retry(lambda: self._join(name, resources, num_cpus, timeout_s), f"worker {name}")

    def _join(self, name: str, resources: dict[str, float], num_cpus: float, timeout_s: float) -> Node:
        node = _start_node(name, ["--address", self.gcs_address], num_cpus, resources, self.token)
        self.workers[name] = node  # alive_nodes names only the cluster's own nodes; stopped with the cluster
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if node.proc.poll() is not None:
                failure = (f"worker {name} exited with {node.proc.returncode}:\n{node.log.read_text()[-3000:]}"
                           f"\n{session_log_tails(node.temp_dir)}")
                del self.workers[name]
                _stop_node(node)
                shutil.rmtree(node.temp_dir, ignore_errors=True)
                raise RayStartFailed(failure)
            if name in self.alive_nodes().values():
                return node
            time.sleep(1)
        raise TimeoutError(f"worker {name} did not join within {timeout_s:g}s:\n{node.log.read_text()[-3000:]}")

    def kill_worker(self, name: str) -> None:
        """The node lost: SIGKILL to its whole process group and to any of its processes outside it
        (found by its private temp dir); the other nodes are untouched."""
        node = self.workers.pop(name)
        try:
            os.killpg(node.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        node.proc.wait(timeout=30)
        for pid in _leftovers(node.temp_dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.killed.append(node)

    def all_nodes(self) -> list[Node]:
        return [self.head, *self.workers.values(), *self.killed]

    # Serve's own logs, which every node writes under its temp dir on this machine: which replica did what

    def served_by(self, app: str, request_id: str, deployment: str, wait_s: float = 10) -> set[str]:
        """Names of the nodes whose ``deployment`` replica logged ``request_id`` (Serve passes the HTTP
        request's id on to every handle call it makes); waits a little for the log line to be written."""
        deadline = time.monotonic() + wait_s
        while True:
            nodes = {node.name for node in self.all_nodes() for logs in node.session_logs()
                     for log in logs.glob(f"serve/replica_{app}_{deployment}_*.log")
                     if request_id in log.read_text(errors="ignore")}
            if nodes or time.monotonic() > deadline:
                return nodes
            time.sleep(0.2)

    def controller_log(self) -> list[tuple[str, str]]:
        """(time, message) of the Serve controller's log lines (it runs on the head)."""
        return _json_lines(p for logs in self.head.session_logs() for p in logs.glob("serve/controller_*.log"))

    def replica_log(self, app: str, deployment: str, replica_id: str) -> list[tuple[str, str]]:
        """(time, message) of one replica's log lines, on whichever node it ran."""
        return _json_lines(p for node in self.all_nodes() for logs in node.session_logs()
                           for p in logs.glob(f"serve/replica_{app}_{deployment}_{replica_id}*.log"))

    def served_calls(self, app: str, deployment: str, replica_id: str) -> int:
        """Calls a replica has logged as answered (Serve's access log line in the replica's own log)."""
        return sum(1 for _, message in self.replica_log(app, deployment, replica_id) if " OK " in message)


def _json_lines(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(asctime, message) of Serve's JSON log lines (logging_config encoding JSON); asctime sorts as text."""
    rows = []
    for path in paths:
        for line in path.read_text(errors="ignore").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            rows.append((record.get("asctime", ""), record.get("message", "")))
    return rows


# Every node's own listening ports; a head adds HEAD_PORTS. All of one node's are picked together (free_ports).
NODE_PORTS = ("--node-manager-port", "--object-manager-port", "--metrics-export-port",
              "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port")
HEAD_PORTS = ("--port", "--dashboard-port", "--ray-client-server-port")


def _node_args(num_cpus: float, resources: dict[str, float], ports: dict[str, int]) -> list[str]:
    return ["--num-cpus", str(num_cpus), "--num-gpus", "0", "--resources", json.dumps(resources),
            "--object-store-memory", str(200 * 1024 * 1024), "--disable-usage-stats",
            *[str(x) for kv in ports.items() for x in kv]]


def _start_node(name: str, role: list[str], num_cpus: float, resources: dict[str, float], token: str,
                ports: dict[str, int] | None = None) -> Node:
    """``ports`` holds this node's listening ports; picked here for a worker, by the caller for a head."""
    temp_dir = tempfile.mkdtemp(prefix=f"mn-{name}-", dir="/tmp")  # short: Ray's socket paths have a limit
    resources = {**resources, name: 1}
    ports = ports or dict(zip(NODE_PORTS, free_ports(len(NODE_PORTS))))
    args = [str(BIN / "ray"), "start", "--block", *role, "--temp-dir", temp_dir,
            *_node_args(num_cpus, resources, ports)]
    log = Path(temp_dir) / "ray-start.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                env={**clean_env(token), **FAST_NODE_DEATH},
                                start_new_session=True)  # its own process group, to stop or kill it alone
    return Node(name, proc, temp_dir, log, resources)


def _stop_node(node: Node, grace_s: float = 15) -> None:
    """SIGTERM to the node's process group, SIGKILL to what is left of it after ``grace_s``, then to
    any of its processes outside the group (found by its private temp dir)."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 30)):
        try:
            os.killpg(node.proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            node.proc.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    deadline = time.monotonic() + 5
    while _leftovers(node.temp_dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in _leftovers(node.temp_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _start_head(head_cpus: float, head_resources: dict[str, float], token: str,
                timeout_s: float) -> tuple[Node, str, str]:
    """The head node on fresh ports, waited for: (node, GCS address, dashboard URL); stopped if it fails."""
    ports = dict(zip(HEAD_PORTS + NODE_PORTS, free_ports(len(HEAD_PORTS) + len(NODE_PORTS))))
    role = ["--head", "--include-dashboard", "true", "--dashboard-host", "127.0.0.1"]
    head = _start_node("head", role, head_cpus, head_resources, token, ports)
    dashboard_url = f"http://127.0.0.1:{ports['--dashboard-port']}"
    try:
        return head, _wait_ready(dashboard_url, token, head.proc, head.log, timeout_s), dashboard_url
    except BaseException:
        _stop_node(head)
        shutil.rmtree(head.temp_dir, ignore_errors=True)
        raise


@contextmanager
def multi_node_cluster(head_cpus: float, head_resources: dict[str, float],
                       workers: dict[str, dict[str, float]], timeout_s: float = 240.0) -> Iterator[MultiNodeCluster]:
    """A head with ``head_cpus`` and ``head_resources``, and one worker per entry of ``workers`` (one CPU
    each, plus the entry's resources). Every node is stopped on exit, each by its own process group."""
    token = secrets.token_hex(32)
    head, address, dashboard_url = start_with_retry(
        lambda: _start_head(head_cpus, head_resources, token, timeout_s), "multi_node_cluster head")
    cluster = MultiNodeCluster(address, dashboard_url, token, head)
    try:
        for name, resources in workers.items():
            cluster.add_worker(name, resources)
        yield cluster
    finally:
        nodes = cluster.all_nodes()
        with ThreadPoolExecutor(len(nodes)) as pool:  # the workers together, then the head (its GCS) last
            list(pool.map(_stop_node, [n for n in nodes[1:] if n.proc.poll() is None]))
        _stop_node(head)
        for node in nodes:
            shutil.rmtree(node.temp_dir, ignore_errors=True)
