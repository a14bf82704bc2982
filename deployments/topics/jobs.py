"""Long topic runs as jobs: an id at once, then progress, then the results, kept in the job store.

A synchronous `/v1/topics` call must finish within the proxy's timeout; at about one document a
second on CPU a corpus of thousands cannot. A job answers its id at once and runs on the replica
in the background. Its documents stream in labelled batches from a `JobLabelling` (for a corpus URI
on a Serve replica, a Ray Data pipeline whose actors label through the app's TopicPipeline handle;
see `job_labelling`), and after each batch (and every `heartbeat_s` while one runs) the job document
is written with its progress (documents labelled / total, rate, ETA) and a heartbeat. When all are
labelled it is assembled, scored when every document has `human_topics`, and the answer is stored with the job.

Survival: the job document lives in the durable store and every label in the label cache. A
replica that dies mid-job leaves a job whose heartbeat goes stale; any replica's watcher (started
by its first health check) takes over a queued or running job whose heartbeat is older than
`stale_s`, and the labelling resumes from the cache, so only unlabelled documents cost LLM calls.
Two replicas taking over the same job at once would both finish it, the second mostly from cache.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from deployments import errors
from deployments.topics.corpus import MAX_LISTED, CorpusError, parse_lines, storage_error
from deployments.topics.job_labelling import JobLabelling
from deployments.topics.labeling import failure_message
from deployments.topics.results_uri import OutputError, check_output_uri, write_results
from deployments.topics.protocol import TopicDocument, _Common, _unique_ids, check_documents

logger = logging.getLogger("ray.serve")


class JobError(RuntimeError):
    """A job failed for a reason its caller may read (every document's labelling failed)."""


ACTIVE = ("queued", "running")


class JobRequest(_Common):
    """`POST /v1/topics/jobs`: documents inline (parsed, or a JSONL file's text), or a JSONL corpus at a URI
    the replica can read; exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    documents: list[dict] | None = Field(None, min_length=1, description="Documents (id, text, timestamp?, "
                                         "human_topics?); a bad one is a 400 naming its 1-based position and field.")
    jsonl: str | None = Field(None, min_length=1, description="The text of a JSONL file (an upload): read like a "
                              "corpus, so its errors name the file's 1-based lines.")
    corpus_uri: str | None = Field(None, min_length=1, max_length=2000,
                                   description="JSONL (id, text, timestamp?, human_topics?): local path, https, "
                                   "s3, gs, .gz")
    source_name: str | None = Field(None, min_length=1, max_length=300, description="What the documents are "
                                    "called in the job list and in messages, e.g. the uploaded file's name.")
    skip_bad_lines: bool = Field(False, description="Leave out corpus lines that are not valid documents and "
                                 "list them on the job (`skipped_lines`); false: any bad line fails the request "
                                 "or the job, naming the lines.")
    limit: int | None = Field(None, ge=1, description="Read at most this many documents of the corpus.")
    output_uri: str | None = Field(None, min_length=1, max_length=2000,
                                   description="Where the finished job also writes its results: assignments JSONL "
                                   "and a summary JSON (local path, s3, gs, any smart_open URI; .gz compresses)")

    _output = field_validator("output_uri")(classmethod(lambda cls, v: v if v is None else check_output_uri(v)))
    _checked = field_validator("documents", mode="before")(
        classmethod(lambda cls, v: v if v is None else check_documents(v)))

    @field_validator("jsonl", "corpus_uri")
    @classmethod
    def _only_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A second source is an error naming it (the fields before it are already validated)."""
        earlier = [name for name in ("documents", "jsonl") if name != info.field_name and info.data.get(name)]
        if value is not None and earlier:
            raise PydanticCustomError("one_source", "give one source: a file (`jsonl` or `documents`) or "
                                      "`corpus_uri`, not both")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "JobRequest":
        given = [name for name in ("documents", "jsonl", "corpus_uri") if getattr(self, name) is not None]
        if not given:
            raise PydanticCustomError("one_source", "give a source: `documents`, `jsonl` (a file's text) or "
                                      "`corpus_uri`")
        return self


class AssignRequest(BaseModel):
    """`POST /v1/topics/assign`: new documents placed on a finished job's saved topics, without the LLM."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(..., min_length=1, max_length=100, description="A done job whose topics to use.")
    documents: list[TopicDocument] = Field(..., min_length=1)
    min_similarity: float = Field(0.0, ge=-1.0, le=1.0, description="Below this cosine a document gets no topic.")

    _ids = field_validator("documents")(classmethod(lambda cls, v: _unique_ids(v)))


class JobProgress(BaseModel):
    labelled: int = 0
    batches: int = 0
    total: int | None = None
    rate_docs_s: float | None = None
    eta_s: float | None = None


def new_job(request: dict, skipped: list[dict] | None = None) -> dict:
    now = time.time()
    documents = request.get("documents")
    return {"id": "job-" + uuid.uuid4().hex[:16], "state": "queued", "created": now, "updated": now,
            "heartbeat": now, "request": request, "progress": JobProgress().model_dump(), "result": None,
            "metrics": None, "labelling_errors": [], "error": None, "attempts": 0,
            "documents": len(documents) if documents is not None else None,
            "labelled": sum(1 for d in documents if d.get("human_topics")) if documents is not None else None,
            "topic_count": None, "evaluation": None, "started": None, "finished": None,
            **_skipped(skipped or [])}


def _skipped(skipped: list[dict]) -> dict:
    return {"skipped_lines": skipped[:MAX_LISTED], "skipped_count": len(skipped)}


def public(job: dict, with_result: bool = True) -> dict:
    """What the routes show of a job: everything but the stored request's documents, with what a list of
    past runs needs: `source` (the file name or URI), `window`, document, labelled and topic counts, and
    `duration_s` (so far, while it runs)."""
    shown = {k: v for k, v in job.items() if k != "request"}
    request = job.get("request") or {}
    shown["source"] = request.get("source_name") or request.get("corpus_uri") or \
        f"{len(request.get('documents') or [])} documents"
    shown["window"] = request.get("window", "month")
    started = job.get("started")
    end = job.get("finished") or (time.time() if job.get("state") in ACTIVE else None)
    shown["duration_s"] = round(end - started, 1) if started and end else None
    if not with_result:
        shown.pop("result", None)
        shown.pop("labelling_errors", None)
        shown.pop("saved_topics", None)
        shown.pop("vibe_check", None)
    return shown


Finish = Callable[[list[dict], list[list[str]], dict], Awaitable[dict]]  # (documents, labels, request) -> answer
WriteOutput = Callable[[str, dict, dict | None, list[dict]], dict]  # (uri, result, metrics, errors) -> written URIs


class JobRunner:
    """Runs and watches jobs on one replica. `labelling(request)` gives the source of a job's labelled
    batches (asked per job: whether Ray Data is there is known only once the replica runs);
    `write_output(uri, result, metrics, errors)` writes a done job's results to its `output_uri`, in a
    worker thread."""

    def __init__(self, store, labelling: Callable[[dict], JobLabelling], finish: Finish, heartbeat_s: float = 5.0,
                 stale_s: float = 30.0, poll_s: float = 5.0, write_output: WriteOutput = write_results) -> None:
        self.store = store
        self.write_output = write_output
        self.labelling = labelling
        self.finish = finish
        self.heartbeat_s, self.stale_s, self.poll_s = heartbeat_s, stale_s, poll_s
        self.running: dict[str, asyncio.Task] = {}
        self._watcher: asyncio.Task | None = None

    async def submit(self, request: dict) -> dict:
        """Stores the job and starts it. An uploaded file's text (`jsonl`) is read here, so its bad lines are
        a 400 at once (or, with `skip_bad_lines`, listed on the job) and the job keeps only documents."""
        parsed = JobRequest.model_validate(request)
        stored = parsed.model_dump(mode="json", exclude_none=True)
        skipped: list[dict] = []
        if parsed.jsonl is not None:
            where = parsed.source_name or "the file"
            try:
                stored["documents"], skipped = parse_lines(parsed.jsonl.splitlines(), where, parsed.limit,
                                                           parsed.skip_bad_lines)
            except CorpusError as exc:
                raise errors.bad_request(str(exc), "jsonl", code=exc.code) from None
            del stored["jsonl"]
        job = new_job(stored, skipped)
        await self.store.put(job)  # stored before the id is answered
        self.start(job["id"])
        return public(job)

    def start(self, job_id: str) -> None:
        if job_id not in self.running or self.running[job_id].done():
            self.running[job_id] = asyncio.create_task(self._run(job_id))

    def watch(self) -> None:
        """Starts the watcher that takes over stale jobs (idempotent; needs a running loop)."""
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())

    async def take_over_stale(self) -> list[str]:
        """Starts every active job whose heartbeat is stale and that this replica does not run."""
        taken = []
        now = time.time()
        for job in await self.store.list():
            if job["state"] in ACTIVE and now - job["heartbeat"] > self.stale_s and job["id"] not in self.running:
                job["heartbeat"] = now
                await self.store.put(job)
                self.start(job["id"])
                taken.append(job["id"])
        return taken

    async def _watch(self) -> None:
        while True:
            try:
                taken = await self.take_over_stale()
                if taken:
                    logger.info("took over stale topic jobs %s", taken)
            except Exception:  # noqa: BLE001 - the watcher must outlive a failed store read
                logger.exception("topic job watcher")
            await asyncio.sleep(self.poll_s)

    async def _run(self, job_id: str) -> None:
        job = await self.store.get(job_id)
        if job is None:
            return
        try:
            await self._work(job)
        except Exception as exc:  # noqa: BLE001 - a failed job says why in its document
            logger.exception("topic job %s failed", job_id)
            message = str(exc) if isinstance(exc, (CorpusError, JobError, OutputError)) else failure_message(exc)
            job.update(state="failed", error=message, updated=time.time(), heartbeat=time.time(),
                       finished=time.time())
            await self.store.put(job)
        finally:
            self.running.pop(job_id, None)

    async def _work(self, job: dict) -> None:
        request = job["request"]
        job["attempts"] = job.get("attempts", 0) + 1  # 2 and more: taken over after its replica died
        labelling = self.labelling(request)
        try:
            total, batches = await labelling.open(request)
        except OSError as exc:  # the corpus's storage failed while it was read: say so, in the caller's terms
            if not request.get("corpus_uri"):
                raise
            raise storage_error(request["corpus_uri"], exc) from None
        job.update(state="running", updated=time.time(), labelled_via=labelling.via, documents=total,
                   started=job.get("started") or time.time())
        if getattr(labelling, "skipped", None):  # corpus lines `skip_bad_lines` left out
            job.update(_skipped(labelling.skipped))
        job["progress"] = JobProgress(total=total).model_dump()
        await self.store.put(job)
        documents: list[dict] = []
        labels: list[list[str]] = []
        errors: list[dict] = []
        started = time.perf_counter()
        beat = asyncio.create_task(self._heartbeat(job))
        try:
            number = 0
            async for batch in batches:
                number += 1
                errors += [{"id": batch.documents[e["index"]]["id"], **e, "index": len(documents) + e["index"]}
                           for e in batch.errors]
                documents += batch.documents
                labels += batch.labels
                done = len(documents)
                rate = done / max(time.perf_counter() - started, 1e-9)
                job["progress"] = JobProgress(labelled=done, batches=number, total=total, rate_docs_s=round(rate, 3),
                                              eta_s=round(max(total - done, 0) / rate, 1) if rate > 0 else None
                                              ).model_dump()
                job["updated"] = job["heartbeat"] = time.time()
                await self.store.put(job)
        finally:
            beat.cancel()
        if total and len(errors) == total:
            raise JobError(f"labelling failed for every document; the first: {errors[0]['message']}")
        answer = await self.finish(documents, labels, request)
        # the answer goes on the job before the output is written: a failed write fails the job, saying why,
        # and the results stay readable from the job
        job.update(result=answer["result"], metrics=answer.get("metrics"), labelling_errors=errors,
                   vibe_check=answer.get("vibe_check"), saved_topics=answer.get("saved_topics"),
                   evaluation=answer.get("evaluation"), labelled=sum(1 for d in documents if d.get("human_topics")),
                   topic_count=sum(1 for t in answer["result"]["topics"] if not t.get("other")))
        if request.get("output_uri"):
            try:
                job["output"] = await asyncio.to_thread(self.write_output, request["output_uri"], answer["result"],
                                                        answer.get("metrics"), errors)
            except OutputError:
                raise
            except Exception as exc:  # noqa: BLE001 - a writer that raised something else still fails the job clearly
                raise OutputError(f"writing results to '{request['output_uri']}' failed: {failure_message(exc)}") \
                    from exc
        job.update(state="done", updated=time.time(), heartbeat=time.time(), finished=time.time())
        await self.store.put(job)

    async def _heartbeat(self, job: dict) -> None:
        """Keeps the heartbeat fresh while a slow chunk runs, so no other replica takes the job over."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            job["heartbeat"] = time.time()
            await self.store.put(job)
