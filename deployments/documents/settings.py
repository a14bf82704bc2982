"""Settings of the DocumentStore replica."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SEARCH_MODES = ("semantic", "keyword", "hybrid")


class DocumentStoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corpus_uri: str | None = Field(
        None,
        description="JSONL corpus ({'id', 'text', 'metadata'?} per line) loaded at start; any URI smart_open "
        "reads: local path, https, s3, gs, .gz. A relative path is read from the repository root.",
    )
    embed_batch_size: int = Field(256, ge=1, le=8192, description="Texts sent to the Embedder per call.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (60 in Cormack et al. 2009).")
    hybrid_depth: int = Field(50, ge=1, le=1000, description="Results taken from each ranking before fusion.")
    branch_timeout_s: float = Field(
        30.0, gt=0, description="Hybrid search: the longest either ranking (query embedding + search) may take."
    )
