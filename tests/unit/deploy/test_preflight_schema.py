"""The schema check: Ray's ServeDeploySchema errors, and the typos Ray accepts silently."""

from __future__ import annotations

import copy

from cli.deploy import schema_check
from cli.deploy.report import Report
from tests.archive_server import production_config


def _check(config: dict) -> Report:
    report = Report()
    schema_check.check(config, report)
    return report


def test_production_config_passes_schema_and_has_no_unknown_keys():
    report = _check(production_config())
    assert report.ok, report.render()
    assert [f.level for f in report.of("schema")] == ["pass"]
    assert [f.level for f in report.of("unknown-key")] == ["pass"]


def test_typos_at_every_level_are_named_with_the_right_spelling():
    config = production_config()
    app = config["applications"][0]
    llm = next(d for d in app["deployments"] if d["name"] == "LLMServer")
    config["http_option"] = {"port": 8000}
    app["argz"] = {}
    llm["max_ongoing_request"] = llm.pop("max_ongoing_requests")
    llm["ray_actor_options"]["num_gpu"] = 1
    llm["autoscaling_config"]["max_replica"] = 3
    app["runtime_env"]["workdir"] = "x"

    report = _check(config)

    messages = {f.message.split(":")[0]: f.fix for f in report.of("unknown-key")}
    assert messages == {
        "http_option": "did you mean `http_options`?",
        "applications[0].argz": "did you mean `args`?",
        "applications[0].deployments[0].max_ongoing_request": "did you mean `max_ongoing_requests`?",
        "applications[0].deployments[0].ray_actor_options.num_gpu": "did you mean `num_gpus`?",
        "applications[0].deployments[0].autoscaling_config.max_replica": "did you mean `max_replicas`?",
        "applications[0].runtime_env.workdir": "did you mean `working_dir`?",
    }
    # Ray itself accepts all of these: the finding is ours, not a schema error
    assert [f.level for f in report.of("schema")] == ["pass"]
    assert not report.ok


def test_ray_schema_errors_are_reported_with_their_location():
    config = production_config()
    del config["applications"][0]["import_path"]
    config["applications"][0]["deployments"][0]["max_ongoing_requests"] = -1

    report = _check(config)

    failures = [f.message for f in report.of("schema")]
    assert "applications[0].import_path: Field required" in failures
    assert any(m.startswith("applications[0].deployments[0].max_ongoing_requests:") for m in failures)


def test_unknown_keys_walks_lists_and_unions_but_not_free_form_dicts():
    from ray.serve.schema import ServeDeploySchema

    config = copy.deepcopy(production_config())
    app = config["applications"][0]
    app["args"]["anything"] = 1  # args belong to the app's own model, checked by the import probe
    app["deployments"][0]["user_config"]["whatever"] = 2  # user_config is the deployment's business
    app["deployments"][1]["nmae"] = "typo"

    found = list(schema_check.unknown_keys(config, ServeDeploySchema))

    assert [(where, key) for where, key, _ in found] == [(("applications", 0, "deployments", 1), "nmae")]
