"""working_dir rules (pinned zip, no credentials) and the pin command's rewrite."""

from __future__ import annotations

import shutil

import pytest
import yaml

from cli.deploy import config_file, working_dir
from cli.deploy.__main__ import main
from cli.deploy.render import drift
from cli.deploy.report import Report

SHA = "62c0b1d400d33229706358650ff6e6b89944c296"


def _check(url: str | None) -> Report:
    report = Report()
    working_dir.check(url, report, "medici")
    return report


@pytest.mark.parametrize("url", [
    f"https://github.com/medici-ai/medici/archive/{SHA}.zip",
    f"https://gitlab.example.com/team/medici/-/archive/{SHA}/medici-{SHA}.zip",
    f"http://127.0.0.1:8123/medici-{SHA}.zip",
    f"s3://bucket/medici/{SHA}.zip",
])
def test_commit_pinned_archives_pass(url):
    report = _check(url)
    assert report.ok, report.render()
    assert SHA in report.of("working_dir")[0].message


@pytest.mark.parametrize("url, says", [
    ("https://github.com/medici-ai/medici/archive/refs/heads/main.zip", "names the branch 'main', which moves"),
    ("https://github.com/medici-ai/medici/archive/refs/tags/v1.2.zip", "names the tag 'v1.2', which moves"),
    ("https://github.com/medici-ai/medici/archive/main.zip", "'main', a branch or tag that moves"),
    ("https://github.com/medici-ai/medici/archive/62c0b1d.zip", "short SHA '62c0b1d'"),
])
def test_branches_tags_and_short_shas_are_refused_with_the_pin_hint(url, says):
    (finding,) = _check(url).failures
    assert says in finding.message
    assert "medici deploy pin --repo ORG/REPO --commit" in finding.fix


@pytest.mark.parametrize("url", [
    f"https://x-access-token:ghp_secret@github.com/medici-ai/medici/archive/{SHA}.zip",
    f"https://github.com/medici-ai/medici/archive/{SHA}.zip?token=ghp_secret",
])
def test_credentials_in_the_url_are_refused_redacted_and_point_to_the_token_variable(url):
    (finding,) = _check(url).failures
    assert "carries credentials" in finding.message
    assert "ghp_secret" not in finding.message
    assert "RAY_RUNTIME_ENV_BEARER_TOKEN" in finding.fix and "netrc" in finding.fix


def test_non_zip_and_missing_working_dir():
    (finding,) = _check(f"https://github.com/medici-ai/medici/tree/{SHA}").failures
    assert "does not end in .zip" in finding.message
    report = _check(None)
    assert report.ok and report.findings[0].level == "warn"


def test_archive_url_refuses_anything_but_a_full_sha():
    assert working_dir.archive_url("medici-ai/medici", SHA.upper()) == (
        f"https://github.com/medici-ai/medici/archive/{SHA}.zip")
    for bad in ("main", "v1.0", SHA[:12], SHA + "0", "g" * 40):
        with pytest.raises(ValueError, match="full 40-hex commit SHA"):
            working_dir.archive_url("medici-ai/medici", bad)
    with pytest.raises(ValueError, match="ORG/REPO"):
        working_dir.archive_url("medici", SHA)


def test_rewrite_changes_only_the_url():
    text = config_file.DEFAULT_CONFIG.read_text()
    new_url = f"https://github.com/acme/medici/archive/{'a' * 40}.zip"

    rewritten = config_file.rewrite_working_dir(text, new_url)

    changed = [(a, b) for a, b in zip(text.splitlines(), rewritten.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1].strip() == f"working_dir: {new_url}"
    assert len(text.splitlines()) == len(rewritten.splitlines())


def test_pin_command_rewrites_config_and_manifest(tmp_path):
    config = shutil.copy(config_file.DEFAULT_CONFIG, tmp_path / "serve_config.yaml")
    manifest = tmp_path / "rayservice.yaml"
    sha = "b" * 40

    assert main(["pin", "--repo", "acme/medici", "--commit", sha, "--config", str(config),
                 "--manifest", str(manifest)]) == 0

    url = f"https://github.com/acme/medici/archive/{sha}.zip"
    assert yaml.safe_load(config.read_text())["applications"][0]["runtime_env"]["working_dir"] == url
    embedded = yaml.safe_load(yaml.safe_load(manifest.read_text())["spec"]["serveConfigV2"])
    assert embedded["applications"][0]["runtime_env"]["working_dir"] == url
    assert drift(config, manifest) is None


def test_pin_command_refuses_a_branch_and_leaves_files_alone(tmp_path, capsys):
    config = shutil.copy(config_file.DEFAULT_CONFIG, tmp_path / "serve_config.yaml")
    before = config.read_text()

    code = main(["pin", "--repo", "acme/medici", "--commit", "main", "--config", str(config),
                 "--manifest", str(tmp_path / "m.yaml")])

    assert code == 2
    assert "full 40-hex commit SHA" in capsys.readouterr().err
    assert config.read_text() == before and not (tmp_path / "m.yaml").exists()
