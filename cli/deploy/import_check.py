"""Does `import_path` import and build from the archive root alone, without loading a model?

The probe runs in a fresh subprocess so that nothing of this checkout (the usual reason an
import path "works on my machine") is importable: PYTHONPATH is the unpacked archive and nothing
else, and the working directory is that folder, as on a Ray worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli.deploy import probe
from cli.deploy.report import Report

CHECK = "import"
CHECK_NAMES = "deployments"


def run_probe(root: Path, import_path: str, name: str, args: dict, timeout_s: float = 180.0) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RAY_ADDRESS"))}
    env.update(PYTHONPATH=str(root), PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")
    spec = json.dumps({"import_path": import_path, "name": name, "args": args})
    source = Path(probe.__file__).read_text()
    proc = subprocess.run([sys.executable, "-s", "-P", "-c", source, spec], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(probe.MARKER):
            return json.loads(line[len(probe.MARKER):])
    tail = (proc.stderr or proc.stdout)[-2000:]
    return {"error": {"stage": "process", "type": f"exit {proc.returncode}", "message": tail, "missing_module": None,
                      "traceback": tail}}


def check(root: Path, app: dict, report: Report, timeout_s: float = 180.0) -> dict[str, Any] | None:
    """Findings for one application; the probe's result (deployments built) when it built."""
    import_path, name = app.get("import_path", ""), app.get("name", "default")
    try:
        result = run_probe(root, import_path, name, app.get("args") or {}, timeout_s)
    except subprocess.TimeoutExpired:
        report.fail(CHECK, f"importing {import_path!r} took over {timeout_s:g}s",
                    "importing must not load models or connect anywhere: move that work into a replica's __init__")
        return None
    if "error" in result:
        _explain(result["error"], import_path, root, report)
        return None
    module_file = Path(result.get("module_file") or "/")
    if root.resolve() not in module_file.resolve().parents:
        report.fail(CHECK, f"{import_path!r} was imported from {module_file}, outside the archive",
                    "a package installed in the environment shadows the archive's module: rename one of them")
        return None
    strays = _foreign_paths(result["sys_path"], root)
    if strays:
        report.fail(CHECK, f"the import probe's sys.path holds code outside the archive: {', '.join(strays)}",
                    "remove the .pth file or editable install that adds it: a Ray worker will not have it")
        return None
    report.passed(CHECK, f"{import_path!r} imports from the archive root and builds {len(result['deployments'])} "
                  f"deployments (ingress {result['ingress']})")
    if result["heavy_modules"]:
        report.fail(CHECK, f"importing and building the app loaded {', '.join(result['heavy_modules'])}: the Serve "
                    "controller and `serve build` import it in processes without a GPU",
                    "import torch/transformers and load weights only inside a deployment's __init__")
    else:
        report.passed(CHECK, "no model or ML framework loaded at import or build time")
    if result["ray_initialized"]:
        report.fail(CHECK, "importing the app started or connected to Ray", "remove ray.init()/serve.run() from "
                    "module level; Serve imports the module inside the cluster")
    _check_names(app, result, report)
    return result


def _foreign_paths(paths: list[str], root: Path) -> list[str]:
    """sys.path entries that are neither the archive nor this interpreter's own libraries."""
    allowed = {Path(p).resolve() for p in (root, sys.prefix, sys.base_prefix, sys.exec_prefix)}
    allowed |= {Path(p) for p in (root, sys.prefix, sys.base_prefix, sys.exec_prefix)}
    out = []
    for entry in paths:
        candidates = {Path(entry), Path(entry).resolve()}
        if not any(c == a or a in c.parents for c in candidates for a in allowed):
            out.append(entry)
    return out


def _check_names(app: dict, result: dict, report: Report) -> None:
    built = result["deployments"]
    configured = [d.get("name") for d in app.get("deployments") or [] if isinstance(d, dict)]
    missing = [n for n in configured if n not in built]
    for name in missing:
        report.fail(CHECK_NAMES, f"application {app.get('name')!r} configures deployment {name!r}, which the app "
                    f"does not have (it has {', '.join(built)}); Serve rejects the config",
                    "rename the entry to one of those names, or bind that deployment in the builder")
    if configured and not missing:
        report.passed(CHECK_NAMES, f"every configured deployment exists: {', '.join(configured)}")
    unconfigured = [n for n in built if n not in configured]
    if unconfigured:
        report.warn(CHECK_NAMES, f"deployments run with the code's default options: {', '.join(unconfigured)}",
                    "add them to the config's `deployments:` to size them for production")


def _explain(error: dict, import_path: str, root: Path, report: Report) -> None:
    where = f"{error['type']}: {error['message']}".strip()
    missing = error.get("missing_module")
    if error["stage"] == "build":
        report.fail(CHECK, f"{import_path!r} imports but building the application failed: {where}",
                    "fix the application's `args` in the config (they are validated by the builder's "
                    f"pydantic model) or the builder\n{error['traceback'].strip()}")
        return
    if missing:
        top = missing.split(".")[0]
        found = sorted(str(p.relative_to(root)) for p in root.rglob(f"{top}.py")) + sorted(
            str(p.relative_to(root)) for p in root.rglob(top) if p.is_dir())
        if found:
            report.fail(CHECK, f"{import_path!r}: {where}; the archive has it only below its root, at "
                        f"{', '.join(found[:3])}",
                        "imports resolve from the archive root (Ray strips the top folder REPO-SHA/ and puts the rest "
                        "on sys.path); keep app.py and its packages at the repository root with `import_path: app:app`,"
                        " rather than pointing import_path into a subfolder")
            return
        report.fail(CHECK, f"{import_path!r}: {where}; it is neither in the archive nor installed here",
                    "commit and push the module (the archive is the pinned commit, not your working tree), or "
                    "install the package in the image (k8s/Dockerfile from requirements.txt: add it to requirements.in, then make lock)")
        return
    report.fail(CHECK, f"{import_path!r} failed to import: {where}",
                f"import_path is `module:attribute` resolved from the archive root\n{error['traceback'].strip()}")
