"""No two topics share a name, and no listed topic holds one document, on the shipped corpora: the
assemble step with the real all-MiniLM-L6-v2 vectors (in process, no Ray) and each corpus's own
human topics as the labels (the LLM's labels need the model; the clustering, naming, merging and
folding under test do not)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pytest

from deployments.topics.assemble import assemble_with
from deployments.topics.canonical import LeaderCanonicalizer
from deployments.topics.corpus import read_documents
from deployments.topics.settings import TopicSettings
from deployments.topics.trends import settings_detector

ROOT = Path(__file__).resolve().parents[3]
CORPORA = ["data/art_corpus.jsonl", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "data/eval/topics").glob("*/*.jsonl"))]


class MiniLM:
    """The Embedder deployment's model, loaded in this process."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        from deployments.embeddings.embedder import bundled_minilm_dir

        self.model = SentenceTransformer(bundled_minilm_dir(), device="cpu", local_files_only=True)
        self.cache: dict[str, list[float]] = {}

    async def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            vectors = self.model.encode(missing, normalize_embeddings=True, convert_to_numpy=True)
            self.cache.update(zip(missing, np.asarray(vectors).tolist()))
        return [self.cache[t] for t in texts]


@pytest.fixture(scope="module")
def embedder() -> MiniLM:
    return MiniLM()


@pytest.mark.parametrize("path", CORPORA)
def test_topic_names_are_unique_and_small_topics_fold(embedder, path):
    settings = TopicSettings()
    documents = read_documents(str(ROOT / path))
    labels = [list(d["human_topics"]) for d in documents]
    result = asyncio.run(assemble_with(settings, documents, labels, embedder,
                                       LeaderCanonicalizer(settings.merge_threshold, settings.taxonomy_threshold),
                                       settings_detector(settings)))
    names = [t["label"].casefold() for t in result["topics"]]
    assert len(names) == len(set(names)), sorted(names)
    numbered = [n for n in names if re.search(r" \(\d+\)$", n)]  # "Sports (2)" is no name a person tells apart
    assert not numbered, numbered
    listed = [t for t in result["topics"] if not t.get("other")]
    assert listed and all(t["count"] >= settings.min_topic_size for t in listed)
    assert all(not t.get("other") for t in result["topics"][:-1])  # "Other", when there is one, comes last
    known = {t["label"] for t in result["topics"]}
    assert all(set(d["topics"]) <= known for d in result["documents"])
    assert {t["label"] for t in result["trends"]["topics"]} == {t["label"] for t in listed}
