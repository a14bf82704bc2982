"""`medici deploy preflight serve_config.yaml`: every check a deploy would otherwise fail at, in order.

Schema and keys first (no network), then per application the working_dir URL, the archive, the
import from the archive alone, then GPUs. Later checks still run after an earlier failure where they
can, so one run shows every problem.

With `from_git` the archive is not downloaded but built from the local repository (`git archive`
of the pinned commit, laid out as GitHub lays it out), so a stale pin, one whose code rejects this
config, fails offline: CI runs it on every change.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from cli.deploy import archive, config_file, import_check, resources, schema_check, working_dir
from cli.deploy.report import Report


def run(path: Path, address: str | None = None, timeout_s: float = 180.0, from_git: Path | None = None) -> Report:
    """Every finding for the config at ``path``; ``from_git``: the repository to build archives from."""
    report = Report()
    try:
        config = config_file.load(path)
    except config_file.ConfigError as exc:
        report.fail("config", str(exc), "fix the file; `python -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))'"
                    " FILE` shows the YAML error")
        return report
    schema_check.check(config, report)
    built: dict[str, dict[str, Any]] = {}
    for app in config_file.applications(config):
        result = check_application(app, report, timeout_s, from_git)
        if result:
            built[app.get("name", "default")] = result["deployments"]
    resources.check(config, report, address, built)
    return report


def check_application(app: dict[str, Any], report: Report, timeout_s: float,
                      from_git: Path | None = None) -> dict[str, Any] | None:
    """URL, archive and import checks of one application; the probe's result when the app built."""
    name = app.get("name", "default")
    url = config_file.working_dir(app)
    if not working_dir.check(url, report, name):
        return None
    with tempfile.TemporaryDirectory(prefix="medici-preflight-") as tmp:
        if from_git is not None:
            downloaded = archive.from_git(url, from_git, Path(tmp), report)
        else:
            downloaded = archive.download(url, Path(tmp), report, timeout_s=min(timeout_s, 120.0))
        root = archive.unpack(downloaded, Path(tmp), report) if downloaded else None
        if root is None:
            return None
        return import_check.check(root, app, report, timeout_s)
