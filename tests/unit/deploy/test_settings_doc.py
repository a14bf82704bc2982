"""Every setting of `AppArgs` is documented: docs/settings.md is the generator's current output, and
each setting found by walking the pydantic models (independently of the generator) appears in docs/."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from cli import settings_doc
from deployments.builder import AppArgs

DOCS = Path(__file__).resolve().parents[3] / "docs"
REGENERATE = "regenerate it: medici docs settings > docs/settings.md (or make docs)"


def _model_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of the leaf settings, recursing into fields whose type is a pydantic model."""
    paths = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        # a model-typed field is a section; a list, map or optional of models is one setting
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += _model_paths(annotation, f"{prefix}{name}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


def test_settings_md_is_the_generated_table() -> None:
    assert (DOCS / "settings.md").read_text(encoding="utf-8") == settings_doc.render(), (
        f"docs/settings.md differs from AppArgs: {REGENERATE}")


def test_every_setting_is_documented_in_docs() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))
    paths = _model_paths(AppArgs)
    assert {"llm.model", "agent.llm_backend.kind", "topics.z_threshold", "extra_llms", "options"} <= set(paths)
    missing = [p for p in paths if f"`{p}`" not in text]
    assert missing == [], f"settings not documented in docs/: {missing}; {REGENERATE}"


def test_the_generator_walks_the_same_settings_as_the_models() -> None:
    schema = AppArgs.model_json_schema()
    assert [path for path, _ in settings_doc.settings(schema)] == _model_paths(AppArgs)
