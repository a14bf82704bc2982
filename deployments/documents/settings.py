"""Settings of the DocumentStore replica."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from deployments.storage import StorageSettings

SEARCH_MODES = ("semantic", "keyword", "hybrid")


class DocumentStoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    storage: StorageSettings = Field(
        default_factory=StorageSettings,
        description="Where the documents table lives (a local directory, or s3:// / gs:// shared by replicas).",
    )
    corpus_uri: str | None = Field(
        None,
        description="JSONL corpus ({'id', 'text', 'metadata'?} per line) upserted at start; any URI smart_open "
        "reads: local path, https, s3, gs, .gz. A relative path is read from the repository root.",
    )
    corpus_storage_options: dict[str, str] = Field(
        default_factory=dict,
        description="smart_open transport options for `corpus_uri` on S3 (endpoint_url, region_name); "
        "credentials come from the environment. Never logged.",
    )
    embed_batch_size: int = Field(256, ge=1, le=8192, description="Texts sent to the Embedder per call.")
    write_batch_size: int = Field(
        10_000, ge=1, description="Documents per database commit when adding many (each commit is durable)."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (60 in Cormack et al. 2009).")
    hybrid_depth: int = Field(50, ge=1, le=1000, description="Results taken from each ranking before fusion.")
    branch_timeout_s: float = Field(
        30.0, gt=0, description="Hybrid search: the longest either ranking (query embedding + search) may take."
    )
    fts_language: str = Field("English", description="Language of the full-text index's stemmer.")
    fts_stem: bool = Field(True, description="Stem words in the full-text index (BM25).")
    maintain_every: int = Field(
        100, ge=1, description="Writes between background upkeep runs (compaction, new rows into the indexes)."
    )
    vector_index_min_rows: int = Field(
        5000, ge=256, description="Rows from which an IVF vector index replaces the exact full scan."
    )
    nprobes: int = Field(20, ge=1, description="IVF partitions a semantic search scans (recall vs speed).")
    max_vector_segments: int = Field(
        2, ge=1, description="Delta segments of the vector index (one per upkeep run) before it is retrained; "
        "each segment is probed by every semantic search, so search time grows with their number.")
