"""How a job's documents are read and labelled, batch by batch, as an async stream of labelled batches.

Two sources, one contract (`open(request)` -> total and an async iterator of `LabelledBatch`), so the
job runner keeps one loop for progress, heartbeat and resume whichever runs:

- `RayDataLabelling`, for a `corpus_uri` on a Serve replica: the corpus is a Ray Data dataset, read in
  blocks of about one batch, validated and labelled by a streamed `map_batches` stage whose actors call
  `TopicPipeline.label_run` through the app's handle (`dataset.label_dataset`, the batch command's own
  stage). Blocks are read, labelled and handed to the job as they finish, several in flight, on
  whichever TopicPipeline replicas the handle picks; the job counts them and keeps the rows for
  assembly. Every stage reserves no CPU, since the app's deployments may hold all of a small node's.
- `ChunkLabelling`, for inline `documents` (already in the replica's memory, bounded by the request
  size) and wherever there is no Serve replica (a pipeline built in process, as the unit tests and the
  evaluation scripts build it): a corpus URI is read line by line with smart_open, and the documents
  are labelled in chunks by the pipeline's own labeller. (Ray Data's in-memory sources, `from_arrow`
  and `from_items`, start a metadata task that reserves a CPU, which a full node never frees.)

Both go through the pipeline's cached labeller, so a job that is taken over after its replica died
labels again only what the cache lacks.
"""

from __future__ import annotations

import asyncio
import math
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
    errors: list[dict] = field(default_factory=list)  # {"index": i, "message": ..., "id"?: ...}


class JobLabelling(Protocol):
    via: str  # shown on the job: which path labelled it
    skipped: list[dict]  # after `open`: the corpus lines `skip_bad_lines` left out ({"line", "message"})

    async def open(self, request: dict) -> tuple[int, AsyncIterator[LabelledBatch]]:
        """The number of documents, then their labelled batches in order. A bad corpus raises `CorpusError`."""


class ChunkLabelling:
    """Reads the whole corpus with smart_open and labels it `chunk` documents at a time in this process."""

    via = "chunks"

    def __init__(self, label: Label, chunk: int) -> None:
        self.label, self.chunk = label, chunk
        self.skipped: list[dict] = []  # the corpus lines `skip_bad_lines` left out

    async def open(self, request: dict) -> tuple[int, AsyncIterator[LabelledBatch]]:
        from deployments.topics import corpus

        documents = request.get("documents")
        if documents is None:
            documents, self.skipped = await asyncio.to_thread(
                corpus.read_corpus, request["corpus_uri"], request.get("limit"), bool(request.get("skip_bad_lines")))
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
    """Reads and labels a job's `corpus_uri` as a streamed Ray Data pipeline through the Serve app `app_name`."""

    via = "ray_data"
    skipped: list[dict] = []  # a corpus with bad lines is read by `ChunkLabelling` when they are to be skipped

    def __init__(self, app_name: str, batch_size: int, in_flight: int) -> None:
        self.app_name, self.batch_size, self.in_flight = app_name, batch_size, in_flight

    def _dataset(self, request: dict, total: int | None = None):
        """The job's corpus as a dataset; knowing `total`, in blocks of about `batch_size` rows, so labels
        come back (and progress is written) a batch at a time and the actors share the work."""
        from deployments.topics import dataset

        dataset.configure()  # rows in corpus order, which the job's results keep
        blocks = max(1, math.ceil(total / self.batch_size)) if total else None
        return dataset.read_dataset(request["corpus_uri"], request.get("limit"), num_blocks=blocks)

    def _count(self, request: dict) -> int:
        """Reads and validates the corpus once before labelling, keeping only its ids: the total for progress
        and ETA, and a bad row or a repeated id fails the job before any LLM call."""
        from deployments.topics import corpus, dataset

        if not dataset.is_parquet(request["corpus_uri"]):  # bad lines named by number, before Ray Data reads it
            corpus.read_corpus(request["corpus_uri"], request.get("limit"), keep=False)
        ids: set[str] = set()
        total = 0
        # no `select_columns`: its projection task would reserve a CPU, which a full node never frees
        batches = self._dataset(request).iter_batches(batch_format="pyarrow", batch_size=None)
        for column in _named(request, lambda: [batch.column("id").to_pylist() for batch in batches]):
            ids.update(column)
            total += len(column)
        if len(ids) != total:
            raise CorpusError(f"{request['corpus_uri']}: document ids must be unique")
        return total

    async def open(self, request: dict) -> tuple[int, AsyncIterator[LabelledBatch]]:
        total = await asyncio.to_thread(self._count, request)
        return total, self._batches(request, total)

    async def _batches(self, request: dict, total: int) -> AsyncIterator[LabelledBatch]:
        from deployments.topics import dataset

        labelled = dataset.label_dataset(self._dataset(request, total), self.app_name, request.get("domain"),
                                         self.batch_size, self.in_flight)
        batches = iter(labelled.iter_batches(batch_format="pyarrow", batch_size=None))
        while (batch := await asyncio.to_thread(_named, request, lambda: next(batches, None))) is not None:
            yield LabelledBatch(*dataset.split_labelled(batch.to_pylist()))


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
