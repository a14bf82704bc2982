"""`medici deploy pin|preflight|render` (or `python -m cli.deploy ...`): the three steps of shipping a pinned version.

    medici deploy pin --repo ORG/REPO --commit "$(git rev-parse HEAD)"   # records the commit in both files
    medici deploy preflight --from-git                                   # that commit's code accepts the config
    medici deploy render --check                                         # the manifest embeds the config
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from cli.deploy import config_file


def _pin(ns: argparse.Namespace) -> int:
    from cli.deploy import render
    from cli.deploy.working_dir import archive_url

    try:
        url = archive_url(ns.repo, ns.commit, ns.base_url)
        text = config_file.rewrite_working_dir(ns.config.read_text(), url)
    except (ValueError, OSError) as exc:
        print(f"pin: {exc}", file=sys.stderr)
        return 2
    ns.config.write_text(text)
    render.write(ns.config, ns.manifest)
    print(f"pinned {ns.config} and {ns.manifest} to {url}")
    known = subprocess.run(["git", "-C", str(config_file.REPO_ROOT), "cat-file", "-e", f"{ns.commit}^{{commit}}"],
                           capture_output=True).returncode == 0
    if known:
        print("check that this commit's code accepts the config: medici deploy preflight --from-git")
    else:
        print(f"warning: commit {ns.commit} is not in {config_file.REPO_ROOT}'s history, so "
              "`medici deploy preflight --from-git` cannot check it: fetch it, or pin a commit you have", file=sys.stderr)
    return 0


def _preflight(ns: argparse.Namespace) -> int:
    from cli.deploy import preflight

    report = preflight.run(ns.config, address=ns.address or os.environ.get("RAY_ADDRESS"), timeout_s=ns.timeout,
                           from_git=ns.repo_dir if ns.from_git else None)
    print(report.render())
    return 0 if report.ok else 1


def _render(ns: argparse.Namespace) -> int:
    from cli.deploy import render

    if ns.check:
        problem = render.drift(ns.config, ns.manifest)
        if problem:
            print(f"render --check: {problem}\nfix: medici deploy render", file=sys.stderr)
            return 1
        print(f"{ns.manifest} embeds {ns.config} verbatim")
        return 0
    render.write(ns.config, ns.manifest)
    print(f"wrote {ns.manifest} from {ns.config}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from cli.deploy.render import DEFAULT_MANIFEST

    parser = argparse.ArgumentParser(prog="medici deploy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    pin = sub.add_parser("pin", help="point working_dir at a commit archive and re-render the k8s manifest")
    pin.add_argument("--repo", required=True, help="ORG/REPO on GitHub")
    pin.add_argument("--commit", required=True, help="full 40-hex commit SHA, e.g. \"$(git rev-parse HEAD)\"")
    pin.add_argument("--base-url", default="https://github.com", help="GitHub (Enterprise) base URL")
    pin.add_argument("--config", type=Path, default=config_file.DEFAULT_CONFIG)
    pin.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    pin.set_defaults(func=_pin)

    pre = sub.add_parser("preflight", help="check a Serve config before deploying it")
    pre.add_argument("config", type=Path, nargs="?", default=config_file.DEFAULT_CONFIG)
    pre.add_argument("--address", help="GCS address (HOST:6379) of the target cluster for the GPU check; "
                     "default $RAY_ADDRESS")
    pre.add_argument("--timeout", type=float, default=180.0, help="seconds for the download and the import")
    pre.add_argument("--from-git", action="store_true",
                     help="build the pinned commit's archive from the local repository (git archive, laid out as "
                     "GitHub does) instead of downloading it: offline, and what CI runs")
    pre.add_argument("--repo-dir", type=Path, default=config_file.REPO_ROOT,
                     help="the repository for --from-git (default: this checkout)")
    pre.set_defaults(func=_preflight)

    ren = sub.add_parser("render", help="write k8s/rayservice.yaml with serve_config.yaml embedded")
    ren.add_argument("--config", type=Path, default=config_file.DEFAULT_CONFIG)
    ren.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    ren.add_argument("--check", action="store_true", help="fail when the manifest differs instead of writing it")
    ren.set_defaults(func=_render)

    ns = parser.parse_args(argv)
    return ns.func(ns)


if __name__ == "__main__":
    sys.exit(main())
