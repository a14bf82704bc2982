"""`medici deploy preflight` against archives served over real loopback HTTP.

No Ray cluster is started: the preflight downloads, unpacks and imports the app in a subprocess,
exactly the steps a Ray node takes before it runs a replica. Each case is one way a first deploy
fails; the test asserts on the finding and its fix, and on the exit code where the CLI is used.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli.deploy import preflight
from cli.deploy.report import Report
from tests.archive_server import (
    FAKE_SHA, REPO_ROOT, Route, make_zip, production_config, repo_zip, rezip, serve_archives,
    with_working_dir, write_config,
)

GOOD = f"/medici-ai/medici/archive/{FAKE_SHA}.zip"
PRIVATE = f"/medici-ai/private/archive/{FAKE_SHA}.zip"
TOKEN = "s3cr3t-token"
HEAVY_APP = """
import torch  # the classic mistake: a framework (and often weights) loaded at import time
from ray import serve


@serve.deployment
class Hello:
    def __call__(self, request):
        return "hi"


app = Hello.bind()
"""


@pytest.fixture(scope="module")
def good_zip() -> bytes:
    return repo_zip(f"medici-{FAKE_SHA}/")


@pytest.fixture(scope="module")
def server(good_zip):
    nested = rezip(good_zip, lambda n: n.replace(f"medici-{FAKE_SHA}/", f"medici-{FAKE_SHA}/service/", 1))
    flat = rezip(good_zip, lambda n: n.split("/", 1)[1] or None)
    routes = {
        GOOD: Route(good_zip),
        PRIVATE: Route(good_zip, bearer=TOKEN),
        f"/login/{FAKE_SHA}.zip": Route(b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html"),
        f"/nested/{FAKE_SHA}.zip": Route(nested),
        f"/flat/{FAKE_SHA}.zip": Route(flat),
        f"/heavy/{FAKE_SHA}.zip": Route(make_zip({f"heavy-{FAKE_SHA}/app.py": HEAVY_APP})),
        f"/netrc/{FAKE_SHA}.zip": Route(good_zip, basic=("robot", "n3trc-pass")),
    }
    with serve_archives(routes) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("RAY_RUNTIME_ENV_BEARER_TOKEN", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))  # the developer's ~/.netrc must not leak in
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def _run(tmp_path: Path, url: str, **app_changes) -> Report:
    config = write_config(tmp_path / "serve_config.yaml", with_working_dir(production_config(), url, **app_changes))
    return preflight.run(config, timeout_s=180)


def _failure(report: Report, check: str):
    found = [f for f in report.failures if f.check == check]
    assert found, report.render()
    return found[0]


def test_good_archive_passes_every_check(tmp_path, server):
    report = _run(tmp_path, server.url(GOOD))

    assert report.ok, report.render()
    assert {f.check for f in report.findings if f.level == "pass"} >= {
        "schema", "unknown-key", "working_dir", "archive", "import", "deployments"}
    names = next(f.message for f in report.of("deployments") if f.level == "pass")
    configured = [d["name"] for d in production_config()["applications"][0]["deployments"]]
    assert names == f"every configured deployment exists: {', '.join(configured)}"
    assert any("no model or ML framework loaded" in f.message for f in report.of("import"))
    assert [f.level for f in report.of("gpus")] == ["warn"]  # no cluster given


def test_missing_archive_404_explains_push_and_private_repositories(tmp_path, server):
    finding = _failure(_run(tmp_path, server.url(f"/gone/{FAKE_SHA}.zip")), "archive")
    assert "answered HTTP 404 with no credentials" in finding.message
    assert "push the commit" in finding.fix and "RAY_RUNTIME_ENV_BEARER_TOKEN" in finding.fix


def test_html_page_instead_of_zip_is_named(tmp_path, server):
    finding = _failure(_run(tmp_path, server.url(f"/login/{FAKE_SHA}.zip")), "archive")
    assert finding.message.startswith("the download is an HTML page")


def test_nested_layout_fails_the_import_and_points_to_the_root(tmp_path, server):
    report = _run(tmp_path, server.url(f"/nested/{FAKE_SHA}.zip"))
    finding = _failure(report, "import")
    assert "No module named 'app'" in finding.message and "service/app.py" in finding.message
    assert "import_path: app:app" in finding.fix


def test_nested_import_path_that_works_only_from_the_subfolder(tmp_path, server):
    # `service.app` imports, but app.py's own `from deployments...` only resolves from service/
    report = _run(tmp_path, server.url(f"/nested/{FAKE_SHA}.zip"), import_path="service.app:app")
    finding = _failure(report, "import")
    assert "No module named 'deployments'" in finding.message and "service/deployments" in finding.message


def test_archive_without_one_top_level_folder(tmp_path, server):
    finding = _failure(_run(tmp_path, server.url(f"/flat/{FAKE_SHA}.zip")), "archive")
    assert "no single top-level folder" in finding.message
    assert "git archive --format=zip --prefix=" in finding.fix


def test_private_archive_needs_the_bearer_token_and_gets_it_from_the_environment(tmp_path, server, monkeypatch):
    finding = _failure(_run(tmp_path, server.url(PRIVATE)), "archive")
    assert "HTTP 404 with no credentials" in finding.message and "RAY_RUNTIME_ENV_BEARER_TOKEN" in finding.fix

    monkeypatch.setenv("RAY_RUNTIME_ENV_BEARER_TOKEN", TOKEN)
    server.seen.clear()
    report = _run(tmp_path, server.url(PRIVATE))

    assert report.ok, report.render()
    assert any("with the bearer token from $RAY_RUNTIME_ENV_BEARER_TOKEN" in f.message for f in report.of("archive"))
    assert server.seen[-1]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in report.render()


def test_private_archive_with_netrc_credentials(tmp_path, server, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login robot password n3trc-pass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    report = _run(tmp_path, server.url(f"/netrc/{FAKE_SHA}.zip"))

    assert report.ok, report.render()
    assert any("with netrc credentials" in f.message for f in report.of("archive"))


def test_token_inside_the_url_is_refused_before_any_download(tmp_path, server):
    url = server.url(GOOD).replace("http://", f"http://x-access-token:{TOKEN}@")
    server.seen.clear()
    report = _run(tmp_path, url)
    finding = _failure(report, "working_dir")
    assert "carries credentials" in finding.message and TOKEN not in report.render()
    assert server.seen == []


def test_heavy_import_is_caught(tmp_path, server):
    report = _run(tmp_path, server.url(f"/heavy/{FAKE_SHA}.zip"), deployments=[{"name": "Hello"}], args={})
    finding = _failure(report, "import")
    assert "loaded torch" in finding.message and "__init__" in finding.fix


def test_unknown_deployment_name_and_bad_app_args(tmp_path, server):
    config = production_config()
    config["applications"][0]["deployments"].append({"name": "Reranker", "num_replicas": 1})
    report = preflight.run(write_config(tmp_path / "c.yaml", with_working_dir(config, server.url(GOOD))))
    finding = _failure(report, "deployments")
    assert "'Reranker', which the app does not have" in finding.message

    report = _run(tmp_path, server.url(GOOD), args={"llm": {"modle": "x"}})
    finding = _failure(report, "import")
    assert "building the application failed" in finding.message and "modle" in finding.message


def test_cli_exits_non_zero_on_a_typo_and_names_it(tmp_path, server):
    config = with_working_dir(production_config(), server.url(GOOD))
    config["applications"][0]["deployments"][0]["max_ongoing_request"] = 8
    path = write_config(tmp_path / "serve_config.yaml", config)

    proc = subprocess.run([sys.executable, "-m", "cli.deploy", "preflight", str(path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  [unknown-key] applications[0].deployments[0].max_ongoing_request" in proc.stdout
    assert "did you mean `max_ongoing_requests`?" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("preflight: 1 failed")


def test_cli_exits_zero_on_the_good_archive(tmp_path, server):
    path = write_config(tmp_path / "serve_config.yaml", with_working_dir(production_config(), server.url(GOOD)))
    proc = subprocess.run([sys.executable, "-m", "cli.deploy", "preflight", str(path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# `--from-git`: no server at all; the archive of the pinned commit is built from this repository.
STALE_SHA = "62c0b1d400d33229706358650ff6e6b89944c296"  # the project's 2nd commit: no DocumentStore yet


def _from_git(tmp_path: Path, sha: str | None = None) -> subprocess.CompletedProcess:
    config = production_config()
    if sha is not None:
        config = with_working_dir(config, f"https://github.com/medici-ai/medici/archive/{sha}.zip")
    path = write_config(tmp_path / "serve_config.yaml", config)
    return subprocess.run([sys.executable, "-m", "cli", "deploy", "preflight", "--from-git", str(path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_stale_pin_whose_code_rejects_the_config_fails_offline(tmp_path):
    proc = _from_git(tmp_path, STALE_SHA)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"PASS  [archive] built the archive of commit {STALE_SHA}" in proc.stdout
    assert "FAIL  [import] 'app:app' imports but building the application failed" in proc.stdout
    assert "Extra inputs are not permitted" in proc.stdout  # the old AppArgs rejects today's args


def test_the_shipped_pin_is_a_commit_whose_code_accepts_the_shipped_config(tmp_path):
    proc = _from_git(tmp_path)

    assert proc.returncode == 0, f"{proc.stdout}{proc.stderr}\nre-pin: medici deploy pin --repo ORG/REPO --commit SHA"
    assert "FAIL" not in proc.stdout and "PASS  [import] 'app:app' imports from the archive root" in proc.stdout
