"""The config against Ray's own `ServeDeploySchema`, plus the unknown keys Ray lets through.

Ray's config models allow extra keys (forward compatibility), so `max_ongoing_request: 8` is
accepted and silently ignored. The walk below follows the same pydantic models Ray validates
with, so it knows exactly the keys this Ray version reads; nothing of Ray's schema is copied here.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Iterator

from pydantic import BaseModel, ValidationError

from cli.deploy.report import Report

CHECK_SCHEMA = "schema"
CHECK_KEYS = "unknown-key"


def check(config: dict[str, Any], report: Report) -> None:
    from ray.serve.schema import ServeDeploySchema  # imported here: `medici deploy --help` stays fast

    try:
        ServeDeploySchema.model_validate(config)
    except ValidationError as exc:
        for error in exc.errors():
            where = _path(error.get("loc", ()))
            report.fail(CHECK_SCHEMA, f"{where or 'config'}: {error['msg']}",
                        "see https://docs.ray.io/en/latest/serve/production-guide/config.html for the field")
    else:
        report.passed(CHECK_SCHEMA, "the config validates against Ray's ServeDeploySchema")
    unknown = list(unknown_keys(config, ServeDeploySchema))
    for where, key, known in unknown:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"known keys here: {', '.join(sorted(known))}"
        report.fail(CHECK_KEYS, f"{_path(where + (key,))}: unknown key, which Ray accepts and ignores", hint)
    runtime_env_unknown = list(_unknown_runtime_env_keys(config))
    for where, key, known in runtime_env_unknown:
        close = difflib.get_close_matches(key, known, n=1)
        report.fail(CHECK_KEYS, f"{_path(where + (key,))}: unknown runtime_env field",
                    f"did you mean `{close[0]}`?" if close else f"known fields: {', '.join(sorted(known))}")
    if not unknown and not runtime_env_unknown:
        report.passed(CHECK_KEYS, "no unknown keys")


def unknown_keys(value: Any, model: type[BaseModel], where: tuple = ()) -> Iterator[tuple[tuple, str, list[str]]]:
    """(path, key, known keys) for each key of ``value`` that ``model`` (recursively) does not define."""
    if not isinstance(value, dict):
        return
    fields = model.model_fields
    names = {alias for name, f in fields.items() for alias in (name, f.alias) if alias}
    for key, item in value.items():
        if key not in names:
            yield where, str(key), sorted(fields)
            continue
        field = fields.get(key) or next(f for f in fields.values() if f.alias == key)
        yield from _walk(item, field.annotation, where + (key,))


def _walk(value: Any, annotation: Any, where: tuple) -> Iterator[tuple[tuple, str, list[str]]]:
    """Follow ``annotation`` (Optional, Union, List, Dict of models) down into ``value``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _walk(value, args[0], where)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from unknown_keys(value, annotation, where)
    elif origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(value, dict) and len(models) == 1:  # e.g. Union[Dict, AutoscalingConfig]
            yield from unknown_keys(value, models[0], where)
        elif isinstance(value, list):
            for arg in args:
                if typing.get_origin(arg) is list:
                    yield from _walk(value, arg, where)
    elif origin is list and args and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, args[0], where + (i,))
    elif origin is dict and len(args) == 2 and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, args[1], where + (key,))


def _unknown_runtime_env_keys(config: dict[str, Any]) -> Iterator[tuple[tuple, str, list[str]]]:
    """runtime_env is a plain dict in the schema; Ray's RuntimeEnv knows its fields (plugins aside)."""
    from ray.runtime_env import RuntimeEnv

    known = sorted(k for k in RuntimeEnv.known_fields if not k.startswith("_"))
    apps = config.get("applications")
    for i, app in enumerate(apps if isinstance(apps, list) else []):
        env = app.get("runtime_env") if isinstance(app, dict) else None
        for key in env if isinstance(env, dict) else ():
            if key not in RuntimeEnv.known_fields:
                yield ("applications", i, "runtime_env"), str(key), known


def _path(loc: tuple | list) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
