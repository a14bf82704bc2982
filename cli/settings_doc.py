"""docs/settings.md, generated from `AppArgs`' JSON schema: every setting, its type, default and description.

    medici docs settings > docs/settings.md      (or `make docs`)

The table is generated rather than written so that it cannot drift from the code: a unit test
(tests/unit/deploy/test_settings_doc.py) compares the file with this output and fails, naming the
command above, when a setting was added, removed or changed without regenerating it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Iterator

HEADER = """# Settings

Every application setting: the `args` of `serve_config.yaml` (validated by `AppArgs` in
`deployments/builder.py`), by dotted path. `llm_runtime` is also each LLMServer deployment's
`user_config`, applied without a restart. Serve's own deployment options (replicas, autoscaling,
resources) are documented in [deploy.md](deploy.md).

GENERATED from the pydantic schema by `medici docs settings > docs/settings.md` (`make docs`);
do not edit by hand. A unit test fails when this file and the code disagree.

| setting | type | default | description |
| --- | --- | --- | --- |
"""


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with a `$ref` (also the one-element `allOf` pydantic writes beside a description) followed."""
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
    if "$ref" in node:
        target = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type(schema: dict[str, Any], node: dict[str, Any]) -> str:
    node = _resolve(schema, node)
    if "anyOf" in node:
        return " or ".join(_type(schema, option) for option in node["anyOf"])
    if "enum" in node:
        return " | ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema, node.get('items', {}))}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"map of {_type(schema, node['additionalProperties'])}"
    if kind == "object" and "title" in node and "properties" in node:
        return node["title"]
    return {"null": "null", "integer": "int", "number": "float", "boolean": "bool", "string": "str"}.get(kind, kind)


def _is_section(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" and "properties" in node


def settings(schema: dict[str, Any], node: dict[str, Any] | None = None, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(dotted path, resolved schema node) for every leaf setting, walking nested models recursively."""
    node = _resolve(schema, schema if node is None else node)
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        resolved = _resolve(schema, child)
        if _is_section(resolved):
            yield from settings(schema, resolved, f"{path}.")
        else:
            yield path, resolved


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(defaults: dict[str, Any], path: str) -> str:
    value: Any = defaults
    for part in path.split("."):
        value = value[part]
    return f"`{json.dumps(value)}`"


def render() -> str:
    """The whole docs/settings.md."""
    from deployments.builder import AppArgs  # imported here: `medici --help` stays fast

    schema = AppArgs.model_json_schema()
    defaults = AppArgs().model_dump(mode="json")
    rows = [f"| `{path}` | {_cell(_type(schema, node))} | {_default(defaults, path)} | {_cell(node.get('description', ''))} |"
            for path, node in settings(schema)]
    return HEADER + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print docs/settings.md, generated from AppArgs.")
    parser.parse_args(argv)
    print(render(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
