"""Do the GPU requests fit the cluster? Compared with `ray.cluster_resources()` when one is reachable.

Only an explicitly given cluster is asked (never "auto"): on a shared machine the first cluster
found may be somebody else's. Without one the check is a warning, since KubeRay may add GPU nodes.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from cli.deploy import config_file
from cli.deploy.report import Report

CHECK = "gpus"


@dataclass(frozen=True)
class GpuDemand:
    app: str
    deployment: str
    per_replica: float
    min_replicas: int
    max_replicas: int | None  # None: "auto" autoscaling, no fixed ceiling

    @property
    def minimum(self) -> float:
        return self.per_replica * self.min_replicas


def _replicas(options: dict[str, Any], code_default: int | None) -> tuple[int, int | None]:
    auto = options.get("autoscaling_config")
    if isinstance(auto, dict):
        low = int(auto.get("min_replicas", 1))
        return low, int(auto.get("max_replicas", max(low, 1)))
    replicas = options.get("num_replicas")
    if replicas == "auto":
        return 1, None
    if isinstance(replicas, int):
        return replicas, replicas
    return (code_default or 1), (code_default or 1)


def demands(config: dict[str, Any], built: dict[str, dict[str, dict]] | None = None) -> list[GpuDemand]:
    """GPU needs per deployment: the config's options, else the code's (``built``: app -> probe result)."""
    out = []
    for app in config_file.applications(config):
        name = app.get("name", "default")
        code = (built or {}).get(name, {})
        configured = {d.get("name"): d for d in app.get("deployments") or [] if isinstance(d, dict)}
        for dep in dict.fromkeys([*configured, *code]):
            options = configured.get(dep, {})
            actor = options.get("ray_actor_options") or {}
            gpus = actor.get("num_gpus", code.get(dep, {}).get("num_gpus", 0)) or 0
            if gpus:
                low, high = _replicas(options, code.get(dep, {}).get("num_replicas"))
                out.append(GpuDemand(name, dep, float(gpus), low, high))
    return out


def check_fit(needs: list[GpuDemand], available: dict[str, float], report: Report, where: str) -> None:
    have = float(available.get("GPU", 0))
    low = sum(d.minimum for d in needs)
    listing = ", ".join(f"{d.app}/{d.deployment} {d.per_replica:g} x {d.min_replicas}" for d in needs) or "none"
    if low > have:
        report.fail(CHECK, f"the deployments need at least {low:g} GPUs ({listing}) but {where} has {have:g}",
                    "add GPU nodes (KubeRay: raise the gpu-group's replicas/maxReplicas), or lower min_replicas / "
                    "num_gpus; on a CPU-only machine set num_gpus: 0 and llm.device: cpu")
        return
    report.passed(CHECK, f"GPU requests fit: at least {low:g} needed ({listing}), {where} has {have:g}")
    high = sum(d.per_replica * d.max_replicas for d in needs if d.max_replicas is not None)
    if high > have:
        report.warn(CHECK, f"at max_replicas the deployments want {high:g} GPUs, {where} has {have:g} now",
                    "fine with an autoscaling cluster (KubeRay enableInTreeAutoscaling); else lower max_replicas")


def reachable(address: str, timeout_s: float = 3.0) -> bool:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def cluster_resources(address: str) -> dict[str, float]:
    """Total resources of the cluster whose GCS listens at ``address`` (host:port)."""
    import ray

    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    try:
        return dict(ray.cluster_resources())
    finally:
        ray.shutdown()


def check(config: dict[str, Any], report: Report, address: str | None,
          built: dict[str, dict[str, dict]] | None = None) -> None:
    needs = demands(config, built)
    if not address:
        total = sum(d.minimum for d in needs)
        report.warn(CHECK, f"no cluster address given: not checked whether {total:g} GPUs are available",
                    "pass --address HOST:6379 (the GCS of the target cluster) or set RAY_ADDRESS")
        return
    if not reachable(address):
        report.warn(CHECK, f"no Ray cluster answers at {address}: GPU fit not checked",
                    "check the address (the head's GCS port, 6379 by default) or start the cluster first")
        return
    try:
        available = cluster_resources(address)
    except (ConnectionError, RuntimeError) as exc:
        report.warn(CHECK, f"could not connect to the Ray cluster at {address}: {exc}; GPU fit not checked",
                    "use the address `ray start --head` printed (the node's IP, not 127.0.0.1), and the cluster's "
                    "auth token (RAY_AUTH_TOKEN, or ~/.ray/auth_token on the head)")
        return
    check_fit(needs, available, report, f"the cluster at {address}")
