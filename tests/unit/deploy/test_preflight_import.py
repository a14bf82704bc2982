"""The import probe's sys.path rule and its failure explanations, without a subprocess."""

from __future__ import annotations

import sys
from pathlib import Path

from cli.deploy import import_check
from cli.deploy.report import Report


def test_only_the_archive_and_the_interpreter_are_allowed_on_sys_path(tmp_path):
    site = next(p for p in sys.path if p.endswith("site-packages"))
    paths = [str(tmp_path), site, str(Path(sys.base_prefix) / "lib"), "/work/somebody/checkout"]
    assert import_check._foreign_paths(paths, tmp_path) == ["/work/somebody/checkout"]


def test_missing_module_found_in_a_subfolder_points_to_the_root(tmp_path):
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "app.py").write_text("app = None\n")
    report = Report()
    error = {"stage": "import", "type": "ModuleNotFoundError", "message": "No module named 'app'",
             "missing_module": "app", "traceback": ""}

    import_check._explain(error, "app:app", tmp_path, report)

    (finding,) = report.failures
    assert "service/app.py" in finding.message and "import_path: app:app" in finding.fix


def test_missing_module_nowhere_says_commit_or_install(tmp_path):
    report = Report()
    error = {"stage": "import", "type": "ModuleNotFoundError", "message": "No module named 'faiss'",
             "missing_module": "faiss", "traceback": ""}
    import_check._explain(error, "app:app", tmp_path, report)
    (finding,) = report.failures
    assert "neither in the archive nor installed" in finding.message and "k8s/Dockerfile" in finding.fix


def test_configured_names_are_compared_with_the_built_app():
    report = Report()
    app = {"name": "medici", "deployments": [{"name": "LLMServer"}, {"name": "Ranker"}]}
    built = {"deployments": {"LLMServer": {}, "Ingress": {}}}

    import_check._check_names(app, built, report)

    assert [(f.level, f.message.split(",")[0]) for f in report.findings] == [
        ("fail", "application 'medici' configures deployment 'Ranker'"),
        ("warn", "deployments run with the code's default options: Ingress"),
    ]
