"""The package layering, read from the source with `ast` (nothing is imported).

`deployments/` is what Ray Serve runs: it must not reach up to `app.py` (the application root) or
into `cli/` (the command line), and its modules must not import each other in a cycle, counting
imports inside functions too, since a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "deployments"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, package: str) -> set[str]:
    """Every module `path` (in `package`) imports, anywhere in the file; relative imports resolved."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _package(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


MODULES = {_module_name(p): _imports(p, _package(p)) for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_under_deployments_imports_app_or_cli(module: str) -> None:
    bad = sorted(name for name in MODULES[module] if name.split(".")[0] in {"app", "cli"})
    assert bad == [], f"{module} imports {bad}: deployments/ must not depend on app.py or the command line"


def test_no_import_cycle_inside_deployments() -> None:
    graph = {m: {n for n in names if n in MODULES and n != m} for m, names in MODULES.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_checker_sees_a_lazy_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from app import build_app\n    import cli.topics_batch\n    from . import x\n")
    assert _imports(source, "deployments.topics") == {
        "app", "app.build_app", "cli.topics_batch", "deployments.topics", "deployments.topics.x"}
