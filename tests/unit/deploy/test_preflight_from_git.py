"""`preflight --from-git`: the archive of the pinned commit is built from a local repository, laid
out as GitHub lays it out (`REPO-SHA/` on top), and a commit the repository lacks is a finding.
A small throwaway git repository stands in for Medici's; the import check runs in the integration tests."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from cli.deploy import archive
from cli.deploy.report import Report


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def repo(tmp_path: Path) -> tuple[Path, str, str]:
    """A repository with two commits; (path, first SHA, second SHA)."""
    path = tmp_path / "checkout"
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "config", "user.email", "t@example.invalid")
    _git(path, "config", "user.name", "t")
    (path / "app.py").write_text("app = 'first'\n")
    _git(path, "add", "app.py")
    _git(path, "commit", "-qm", "first")
    first = _git(path, "rev-parse", "HEAD")
    (path / "app.py").write_text("app = 'second'\n")
    (path / "pkg").mkdir()
    (path / "pkg" / "__init__.py").write_text("")
    _git(path, "add", "-A")
    _git(path, "commit", "-qm", "second")
    return path, first, _git(path, "rev-parse", "HEAD")


def test_the_archive_is_the_pinned_commit_under_the_top_folder_github_uses(repo, tmp_path):
    path, first, _ = repo
    report = Report()
    url = f"https://github.com/acme/medici/archive/{first}.zip"

    built = archive.from_git(url, path, tmp_path, report)

    assert built is not None, report.render()
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
        assert f"medici-{first}/app.py" in names
        assert zf.read(f"medici-{first}/app.py") == b"app = 'first'\n"  # the commit, not the working tree
    assert not any("pkg/" in n for n in names)
    root = archive.unpack(built, tmp_path, report)
    assert root is not None and (root / "app.py").read_text() == "app = 'first'\n"
    assert report.ok and [f.check for f in report.findings] == ["archive", "archive"]


def test_a_commit_missing_from_the_repository_fails_and_says_to_fetch_it(repo, tmp_path):
    path, _, _ = repo
    report = Report()
    assert archive.from_git(f"https://github.com/acme/medici/archive/{'1' * 40}.zip", path, tmp_path, report) is None
    (finding,) = report.failures
    assert finding.check == "archive" and "1" * 40 in finding.message and "not in the repository" in finding.message
    assert "git fetch" in finding.fix


def test_an_unpinned_url_cannot_be_built(repo, tmp_path):
    path, _, _ = repo
    report = Report()
    assert archive.from_git("https://github.com/acme/medici/archive/refs/heads/main.zip", path, tmp_path, report) is None
    assert "full commit SHA" in report.failures[0].message and "medici deploy pin" in report.failures[0].fix
