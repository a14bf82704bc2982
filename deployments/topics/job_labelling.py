"""How a job's documents are read and labelled, batch by batch, as an async stream of labelled batches.

Two sources, one contract (`open(request)` -> total and an async iterator of `LabelledBatch`), so the
job runner keeps one loop for progress, heartbeat and resume whichever runs:

- `RayDataLabelling`, on a Serve replica: the corpus (a URI, or the request's inline documents) is a Ray
  Data dataset, validated and labelled by a streamed `map_batches` stage whose actors call
  `TopicPipeline.label_run` through the app's handle (`dataset.label_dataset`, the batch command's own
  stage). Blocks are read, labelled and handed to the job as they finish, several batches in flight,
  on whichever TopicPipeline replicas the handle picks; the job only counts them and keeps the rows
  for assembly.
- `ChunkLabelling`, where there is no Ray cluster (a pipeline built in process, as the unit tests and
  the evaluation scripts build it): the corpus is read line by line with smart_open and labelled in
  chunks by the pipeline's own labeller.

Both go through the pipeline's cached labeller, so a job that is taken over after its replica died
labels again only what the cache lacks.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Protocol

from deployments.topics.corpus import CorpusError
from deployments.topics.labeling import failure_message

Label = Callable[[list[str], dict | None], Awaitable]  # (texts, domain) -> LabelRun


@dataclass
class LabelledBatch:
    """Documents in corpus order with their labels; `errors` index into this batch's documents."""

    documents: list[dict]
    labels: list[list[str]]
    errors: list[dict] = field(default_factory=list)  # {"index": i, "message": ...}


class JobLabelling(Protocol):
    via: str  # shown on the job: which path labelled it

    async def open(self, request: dict) -> tuple[int, AsyncIterator[LabelledBatch]]:
        """The number of documents, then their labelled batches in order. A bad corpus raises `CorpusError`."""


def _inline(request: dict) -> list[dict] | None:
    return request.get("documents")


class ChunkLabelling:
    """Reads the whole corpus with smart_open and labels it `chunk` documents at a time in this process."""

    via = "chunks"

    def __init__(self, label: Label, chunk: int) -> None:
        self.label, self.chunk = label, chunk

    async def open(self, request: dict) -> tuple[int, AsyncIterator[LabelledBatch]]:
        from deployments.topics import corpus

        documents = _inline(request)
        if documents is None:
            documents = await asyncio.to_thread(corpus.read_documents, request["corpus_uri"], request.get("limit"))
        return len(documents), self._batches(documents, request.get("domain"))

    async def _batches(self, documents: list[dict], domain: dict | None) -> AsyncIterator[LabelledBatch]:
        for start in range(0, len(documents), self.chunk):
            part = documents[start : start + self.chunk]
            try:
                run = await self.label([d["text"] for d in part], domain)
                yield LabelledBatch(part, run.labels, run.errors)
            except Exception as exc:  # noqa: BLE001 - a whole failed chunk is reported, the job goes on
                message = failure_message(exc)
                yield LabelledBatch(part, [[] for _ in part], [{"index": i, "message": message}
                                                               for i in range(len(part))])


class RayDataLabelling:
    """Reads and labels the corpus as a streamed Ray Data pipeline through the Serve app `app_name`."""

    via = "ray_data"

    def __init__(self, app_name: str, batch_size: int, in_flight: int) -> None:
        self.app_name, self.batch_size, self.in_flight = app_name, batch_size, in_flight

    def _dataset(self, request: dict):
        import ray.data

        from deployments.topics import dataset

        dataset.configure()  # rows in corpus order, which the job's results keep
        documents = _inline(request)
        if documents is None:
            return dataset.read_dataset(request["corpus_uri"], request.get("limit"))
        return ray.data.from_arrow(dataset.documents_table(dataset.validate_rows(documents)))

    def _count(self, request: dict) -> int:
        """Reads and validates the corpus once before labelling, keeping only its ids: the total for progress
        and ETA, and a bad row or a repeated id fails the job before any LLM call."""
        documents = _inline(request)
        if documents is not None:
            return len(documents)
        ids: set[str] = set()
        total = 0
        batches = self._dataset(request).select_columns(["id"]).iter_batches(batch_format="pyarrow", batch_size=None)
        for batch in _named(request, lambda: list(batches)):
            column = batch.column("id").to_pylist()
            ids.update(column)
            total += len(column)
        if len(ids) != total:
            raise CorpusError(f"{request['corpus_uri']}: document ids must be unique")
        return total

    async def open(self, request: dict) -> tuple[int, AsyncIterator[LabelledBatch]]:
        total = await asyncio.to_thread(self._count, request)
        return total, self._batches(request)

    async def _batches(self, request: dict) -> AsyncIterator[LabelledBatch]:
        from deployments.topics import dataset

        labelled = dataset.label_dataset(self._dataset(request), self.app_name, request.get("domain"),
                                         self.batch_size, self.in_flight)
        batches = iter(labelled.iter_batches(batch_format="pyarrow", batch_size=None))
        while (batch := await asyncio.to_thread(_named, request, lambda: next(batches, None))) is not None:
            rows = batch.to_pylist()
            yield LabelledBatch(
                [{k: v for k, v in row.items() if k not in ("labels", "label_error") and v is not None}
                 for row in rows],
                [list(row["labels"] or []) for row in rows],
                [{"index": i, "message": row["label_error"]} for i, row in enumerate(rows) if row["label_error"]])


def _named(request: dict, work: Callable):
    """`work()`, with a bad row's error (which Ray wraps) raised as a `CorpusError` naming the corpus."""
    from deployments.topics.dataset import corpus_error

    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - a bad row is the caller's error, named; anything else propagates
        found = corpus_error(exc)
        if found is None:
            raise
        raise CorpusError(f"{request.get('corpus_uri', 'documents')}: {found}") from None


def serve_app_name() -> str | None:
    """The Serve application this process is a replica of; None outside a replica."""
    try:
        from ray import serve

        return serve.get_replica_context().app_name
    except Exception:  # noqa: BLE001 - Serve raises its own exception type outside a replica
        return None
