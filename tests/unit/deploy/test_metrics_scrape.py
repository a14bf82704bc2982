"""The RayService exposes every Ray node's metrics port (the LLMServer's vLLM-named metrics) to Prometheus."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[3] / "k8s" / "rayservice.yaml"


def test_every_pod_exports_ray_metrics_to_a_prometheus_scrape() -> None:
    cluster = yaml.safe_load(MANIFEST.read_text())["spec"]["rayClusterConfig"]
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    for group in groups:
        port = group["rayStartParams"]["metrics-export-port"]
        annotations = group["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == port and annotations["prometheus.io/path"] == "/metrics"
        ports = [p for c in group["template"]["spec"]["containers"] for p in c.get("ports", [])]
        assert {"name": "metrics", "containerPort": int(port)} in ports
