"""Reading serve_config.yaml, and rewriting its working_dir without touching anything else.

The file is edited as text, not re-dumped from YAML: its comments explain the production values,
and the KubeRay manifest embeds it byte for byte, so a rewrite must change the URL and only it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "serve_config.yaml"

# `working_dir: URL` on its own line, URL optionally quoted, optionally followed by a comment
_WORKING_DIR_LINE = re.compile(
    r"^(?P<head>\s*working_dir:\s*)(?P<q>[\"']?)(?P<url>[^\s\"'#]+)(?P=q)(?P<tail>\s*(#.*)?)$"
)


class ConfigError(ValueError):
    """serve_config.yaml cannot be read or rewritten; the message says why and what to do."""


def load(path: Path) -> dict[str, Any]:
    """The parsed config, or a ConfigError naming the file and the YAML problem."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping with an `applications:` list, got {type(data).__name__}")
    return data


def applications(config: dict[str, Any]) -> list[dict[str, Any]]:
    apps = config.get("applications")
    return [a for a in apps if isinstance(a, dict)] if isinstance(apps, list) else []


def working_dir(app: dict[str, Any]) -> str | None:
    env = app.get("runtime_env")
    return env.get("working_dir") if isinstance(env, dict) else None


def rewrite_working_dir(text: str, url: str) -> str:
    """``text`` with every application's working_dir set to ``url``; raises when there is none."""
    lines, count = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = _WORKING_DIR_LINE.match(body)
        if match:
            count += 1
            body = f"{match['head']}{url}{match['tail']}"
        lines.append(body + line[len(line.rstrip("\r\n")):])
    if count == 0:
        raise ConfigError(
            "no `working_dir:` line to pin; add `runtime_env: {working_dir: ...}` under the application"
        )
    new = "".join(lines)
    apps = applications(yaml.safe_load(new) or {})
    if not apps or any(working_dir(a) != url for a in apps):
        raise ConfigError("could not rewrite every application's working_dir; write it on one line: `working_dir: URL`")
    return new
