"""GPU demand from the config (and the code's defaults) against a cluster's resources."""

from __future__ import annotations

from cli.deploy import resources
from cli.deploy.report import Report
from tests.archive_server import production_config


def test_production_config_asks_one_gpu_per_llm_replica_from_one_to_four():
    (need,) = resources.demands(production_config())
    assert (need.app, need.deployment, need.per_replica, need.min_replicas, need.max_replicas) == (
        "medici", "LLMServer", 1.0, 1, 4)


def test_deployments_missing_from_the_config_use_the_code_defaults():
    config = {"applications": [{"name": "a", "import_path": "x:y", "deployments": []}]}
    built = {"a": {"Reranker": {"num_gpus": 0.5, "num_replicas": 2}, "Ingress": {"num_gpus": 0, "num_replicas": 1}}}

    (need,) = resources.demands(config, built)

    assert (need.deployment, need.minimum, need.max_replicas) == ("Reranker", 1.0, 2)


def test_fit_fails_without_enough_gpus_and_says_how_to_fix():
    report = Report()
    resources.check_fit(resources.demands(production_config()), {"CPU": 4.0}, report, "the cluster")
    (finding,) = report.failures
    assert "need at least 1 GPUs" in finding.message and "has 0" in finding.message
    assert "num_gpus: 0" in finding.fix and "gpu-group" in finding.fix


def test_fit_passes_and_warns_when_max_replicas_exceed_the_gpus():
    report = Report()
    resources.check_fit(resources.demands(production_config()), {"GPU": 2.0}, report, "the cluster")
    assert [f.level for f in report.of("gpus")] == ["pass", "warn"]
    assert "want 4 GPUs" in report.findings[1].message

    report = Report()
    resources.check_fit(resources.demands(production_config()), {"GPU": 8.0}, report, "the cluster")
    assert [f.level for f in report.of("gpus")] == ["pass"]


def test_no_address_or_no_cluster_is_a_warning_not_a_failure():
    report = Report()
    resources.check(production_config(), report, address=None)
    resources.check(production_config(), report, address="127.0.0.1:1")  # nothing listens on port 1
    assert report.ok
    assert [f.level for f in report.findings] == ["warn", "warn"]
    assert "no Ray cluster answers at 127.0.0.1:1" in report.findings[1].message
