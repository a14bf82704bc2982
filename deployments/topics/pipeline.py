"""The TopicPipeline replica: label -> canonicalize -> trend, plus evaluation and the chart.

A plain class (the builder makes it a deployment). Each stage is a constructor argument on a small
base class, None building the default from the settings, as BERTopic does; the LLM is reached only
through an `LLMClient`, so an external endpoint can stand in for the LLMServer handle.
"""

from __future__ import annotations

import asyncio
from typing import Any

from deployments import errors
from deployments.errors import ServiceError
from deployments.llm.backend import make_llm_client
from deployments.llm.client import HandleLLMClient, LLMClient
from deployments.topics.assemble import assemble_with
from deployments.topics.base import Canonicalizer, HandleEmbedder, LabelRun, Labeler, TextEmbedder, TrendDetector
from deployments.topics.canonical import LeaderCanonicalizer
from deployments.topics.chart import render_chart
from deployments.topics.corpus import CorpusError
from deployments.topics.evaluation import markdown, score, vibe_rows
from deployments.topics.experiment import ExperimentRequest, run_experiment
from deployments.topics.experiment_models import ExperimentModels
from deployments.topics.generalize import ClusterNamer, generalize_result
from deployments.topics.domain import Domain
from deployments.storage.database import open_database
from deployments.topics.batch_files import read_labelled, write_outputs
from deployments.topics.dataset import excerpt
from deployments.topics.job_labelling import ChunkLabelling, JobLabelling, RayDataLabelling, serve_app_name
from deployments.topics.jobs import AssignRequest, JobRunner, public
from deployments.topics.label_cache import CachedLabeler, LabelStore, LLMFingerprint, MemoryLabelStore
from deployments.topics.labeling import PromptLabeler, few_shot_prompt
from deployments.topics.corpus import probe
from deployments.topics.protocol import EvaluateRequest, TopicsRequest, evaluation_summary
from deployments.topics.settings import TopicSettings
from deployments.topics.results_uri import write_results
from deployments.topics.saved import assign_saved, save_topics
from deployments.topics.store import JobStore, LanceJobStore, LanceLabelStore, MemoryJobStore
from deployments.topics.trends import settings_detector


class TopicPipeline:
    def __init__(
        self,
        llm: Any = None,
        embedder: Any = None,
        settings: dict | None = None,
        *,
        extra_llms: dict[str, Any] | None = None,
        llm_client: LLMClient | None = None,
        text_embedder: TextEmbedder | None = None,
        labeler: Labeler | None = None,
        canonicalizer: Canonicalizer | None = None,
        trend_detector: TrendDetector | None = None,
        model_clients: dict[str, LLMClient] | None = None,
        label_store: LabelStore | None = None,
        job_store: JobStore | None = None,
    ) -> None:
        self.settings = s = TopicSettings(**(settings or {}))
        self.embedder = text_embedder or HandleEmbedder(embedder)
        self.llm_client = llm_client or make_llm_client(s.llm_backend, llm)
        # labels are cached by (text, prompt, model), and jobs kept, in the durable store when one is set
        database = open_database(s.storage.resolved_uri(), s.storage.storage_options, setting="topics.storage.uri",
                                 read_consistency_s=s.storage.read_consistency_s) if s.storage else None
        self.label_store = label_store or (LanceLabelStore(database) if database is not None else MemoryLabelStore())
        self.jobs = JobRunner(job_store or (LanceJobStore(database) if database is not None else MemoryJobStore()),
                              self.job_labelling, self._finish_job, stale_s=s.job_stale_s, poll_s=s.job_poll_s)
        self._labelers: dict[str, Labeler] = {}
        self._namers: dict[str, ClusterNamer] = {}
        self.llm_fingerprint = LLMFingerprint(self.llm_client)  # the LLM's precision, in every label key
        self._in_flight = asyncio.Semaphore(s.label_concurrency)  # one bound for every domain's labeller
        self.labeler = labeler or self.labeler_for(s.domain)
        # Models an experiment may name besides the default one: the app's extra LLMServer deployments
        # (by served model name) and the external endpoints of the settings.
        self.models = ExperimentModels(self.llm_client, {
            **{name: HandleLLMClient(handle) for name, handle in (extra_llms or {}).items()},
            **{name: make_llm_client(backend) for name, backend in s.experiment_models.items()},
            **(model_clients or {}),
        })
        self.canonicalizer = canonicalizer or LeaderCanonicalizer(s.merge_threshold, s.taxonomy_threshold)
        self.trend_detector = trend_detector or settings_detector(s)

    def labeler_for(self, domain: dict | Domain | None) -> Labeler:
        """The labeller of a request's `domain` (None: the deployment's own), made once per domain and
        kept. All share one in-flight bound, so concurrent domains do not multiply the LLM's queue;
        with `label_cache` they read and fill the label store."""
        if domain is None:
            return self.labeler
        domain = Domain.model_validate(domain)
        if domain.key() not in self._labelers:
            s = self.settings
            labeler: Labeler = PromptLabeler(
                self.llm_client, s.max_labels, s.max_tokens, s.max_text_chars, s.label_concurrency, s.label_timeout_s,
                prompt=few_shot_prompt(domain, s.label_format), in_flight=self._in_flight, label_format=s.label_format)
            if s.label_cache:
                labeler = CachedLabeler(labeler, self.label_store, fingerprint=self.llm_fingerprint)
            self._labelers[domain.key()] = labeler
        return self._labelers[domain.key()]

    def job_labelling(self, request: dict) -> JobLabelling:
        """How a job's documents are labelled: a corpus URI on a Serve replica, as a streamed Ray Data
        pipeline through this app's TopicPipeline deployment; inline documents, or built in process (no
        replica), in chunks through this labeller (see `job_labelling`)."""
        app_name = serve_app_name()
        # bad lines to skip: read line by line here (Ray Data's JSON reader fails a whole file on one bad line)
        if app_name is None or request.get("corpus_uri") is None or request.get("skip_bad_lines"):
            return ChunkLabelling(self.label_run, self.settings.job_chunk)
        return RayDataLabelling(app_name, self.settings.job_chunk, self.settings.job_in_flight)

    def namer_for(self, domain: dict | Domain | None) -> ClusterNamer:
        """The cluster namer of a request's `domain` (None: the deployment's own), made once per domain;
        with `label_cache` its names are kept in the label store, keyed like labels (model, fingerprint)."""
        domain = self.settings.domain if domain is None else Domain.model_validate(domain)
        if domain.key() not in self._namers:
            s = self.settings
            labeler = self._labelers.get(domain.key(), self.labeler)
            model = getattr(labeler, "model", None) or s.llm_backend.model or ""
            self._namers[domain.key()] = ClusterNamer(
                self.llm_client, domain, max_labels=s.generalize_max_labels,
                store=self.label_store if s.label_cache else None, fingerprint=self.llm_fingerprint, model=model,
                concurrency=s.label_concurrency)
        return self._namers[domain.key()]

    def _check_size(self, n: int, limit: int | None = None, what: str = "request",
                    hint: str = " (use POST /v1/topics/jobs for larger corpora)") -> None:
        limit = self.settings.max_documents if limit is None else limit
        if n > limit:
            raise ServiceError(413, f"{n} documents in one {what}; at most {limit}{hint}", "invalid_request_error",
                               "too_many_documents", "documents")

    async def label_run(self, texts: list[str], domain: dict | None = None) -> LabelRun:
        """Labels per text and the texts whose labelling failed: the unit of work the batch command
        spreads over replicas. If all failed, the first error is raised."""
        return await self.labeler_for(domain).label_run(texts)

    async def _labelled(self, documents: list[dict], window: str, taxonomy: list[str] | None,
                        domain: dict | None = None) -> dict:
        """Label and assemble; the documents whose labelling failed are named in `labelling_errors`."""
        run = await self.labeler_for(domain).label_run([d["text"] for d in documents])
        result = await self.assemble(documents, run.labels, window, taxonomy, domain)
        result["labelling_errors"] = run.named_errors(documents)
        return result

    async def assemble(self, documents: list[dict], labels: list[list[str]], window: str = "month",
                       taxonomy: list[str] | None = None, domain: dict | Domain | None = None) -> dict:
        """Canonical topics and trends from labels already made (the batch command's second step); with
        `generalize_names`, document clusters are then named by the LLM (`generalize.py`, `domain`'s prompt)."""
        s = self.settings
        result = await assemble_with(s, documents, labels, self.embedder, self.canonicalizer, self.trend_detector,
                                     window, taxonomy)
        if s.generalize_names and s.grouping == "documents":
            result = await generalize_result(result, self.namer_for(domain))
        return result

    async def topics(self, request: dict) -> dict:
        """`POST /v1/topics`: topics (label, count, document ids), per-document labels, trends."""
        parsed = TopicsRequest.model_validate(request)
        self._check_size(len(parsed.documents))
        documents = list(parsed.documents)
        return await self._labelled(documents, parsed.window, parsed.taxonomy, parsed.domain)

    async def chart(self, request: dict) -> bytes:
        """`POST /v1/topics/chart`: the trend chart of the same analysis, as PNG bytes."""
        result = await self.topics(request)
        # off the event loop: a chart of thousands of windows takes seconds to draw
        return await asyncio.to_thread(render_chart, result["trends"], self.settings.chart_topics)

    async def evaluate(self, request: dict) -> dict:
        """`POST /v1/topics/evaluate`: every document analysed; metrics against `human_topics` and the
        vibe-check table on those that carry them (`evaluation` says on how many)."""
        parsed = EvaluateRequest.model_validate(request)
        self._check_size(len(parsed.documents))
        documents = list(parsed.documents)
        result = await self._labelled(documents, parsed.window, parsed.taxonomy, parsed.domain)
        return await self.evaluation(documents, result, parsed.window)

    async def evaluation(self, documents: list[dict], result: dict, window: str = "month") -> dict:
        """Metrics and vibe-check rows on the documents that carry `human_topics` (the labelled subset; the
        topics themselves come from all of them), with `evaluation` saying on how many; none labelled:
        no metrics, and `evaluation.reason` says why."""
        summary = evaluation_summary(documents)
        labelled = [i for i, d in enumerate(documents) if d.get("human_topics")]
        if not labelled:
            return {"metrics": None, "vibe_check": None, "markdown": None, "result": result, "evaluation": summary}
        docs = [documents[i] for i in labelled]
        rows_of = {"documents": [result["documents"][i] for i in labelled]}
        scores = await score(docs, [row["topics"] for row in rows_of["documents"]], self.embedder,
                             self.trend_detector, window)
        rows = vibe_rows(docs, rows_of)
        return {"metrics": scores, "vibe_check": rows, "markdown": markdown(rows, scores), "result": result,
                "evaluation": summary}

    async def experiment(self, request: dict) -> dict:
        """`POST /v1/experiments`: prompts x models x temperatures, one row of topic metrics per cell."""
        parsed = ExperimentRequest.model_validate(request)
        self._check_size(len(parsed.documents), self.settings.experiment_max_documents, "experiment", hint="")
        cells = parsed.cell_count()
        if cells > self.settings.experiment_max_cells:
            raise errors.bad_request(f"{cells} cells (prompts x models x temperatures) in one experiment; at most "
                                     f"{self.settings.experiment_max_cells}", "prompts", code="too_many_cells")
        clients = {name: await self.models.client(name) for name in parsed.models or [None]}
        return await run_experiment(parsed, clients, self.settings, self.assemble, self.evaluation)

    async def _finish_job(self, documents: list[dict], labels: list[list[str]], request: dict) -> dict:
        """A job's answer from its labels: the result and, when every document has human topics, the metrics."""
        window = request.get("window", "month")
        result = await self.assemble(documents, labels, window, request.get("taxonomy"), request.get("domain"))
        evaluation = await self.evaluation(documents, result, window)
        metrics, vibe = evaluation["metrics"], evaluation["vibe_check"]
        saved = await save_topics(documents, result, self.embedder)
        # the job keeps each document's text (a bounded excerpt): a corpus read from a URI is not kept elsewhere
        for doc, row in zip(documents, result["documents"]):
            row["text"] = excerpt(doc["text"])
        return {"result": result, "metrics": metrics, "vibe_check": vibe, "saved_topics": saved,
                "evaluation": evaluation["evaluation"]}

    async def finish_labelled(self, labelled_uri: str, out_uri: str, window: str = "month",
                              taxonomy: list[str] | None = None, storage_options: dict | None = None,
                              output_uri: str | None = None, domain: dict | None = None) -> dict:
        """The batch command's second step: the labelled rows its Ray Data run wrote at `labelled_uri` are
        assembled here (one replica holds the corpus, not the command's driver), and the answer files are
        written to `out_uri` (see `batch_files`) and, when given, the assignments and summary to `output_uri`
        (see `results_uri`; a failed write raises its `OutputError`). Answers the run's summary."""
        try:
            documents, labels, failures = await asyncio.to_thread(read_labelled, labelled_uri, storage_options)
        except CorpusError as exc:
            raise errors.bad_request(str(exc), "corpus", code="invalid_corpus") from None
        result = await self.assemble(documents, labels, window, taxonomy, domain)
        evaluation = None
        if any(d.get("human_topics") for d in documents):  # scored on the labelled ones
            evaluation = await self.evaluation(documents, result, window)
        png = await asyncio.to_thread(render_chart, result["trends"], self.settings.chart_topics)
        await asyncio.to_thread(write_outputs, out_uri, result, failures, png, evaluation, storage_options)
        written = None
        if output_uri:
            written = await asyncio.to_thread(write_results, output_uri, result,
                                              evaluation["metrics"] if evaluation else None, failures, storage_options)
        summary = {"documents": len(documents), "topics": len(result["topics"]), "labelling_errors": len(failures),
                   "rising": result["trends"]["rising"], "fading": result["trends"]["fading"]}
        if written is not None:
            summary["output"] = written
        if evaluation is not None:
            summary["metrics"] = {k: v for k, v in evaluation["metrics"].items() if isinstance(v, (int, float))}
            summary["markdown"] = evaluation["markdown"]
        return summary

    async def assign(self, request: dict) -> dict:
        """`POST /v1/topics/assign`: new documents on a done job's saved topics (embeddings only, no LLM call)."""
        parsed = AssignRequest.model_validate(request)
        self._check_size(len(parsed.documents))
        job = await self.jobs.store.get(parsed.job_id)
        if job is None:
            raise errors.not_found(f"no topic job '{parsed.job_id}'", "job_not_found")
        if job["state"] != "done":
            raise ServiceError(409, f"topic job '{parsed.job_id}' is {job['state']}; its topics come when it is done",
                               "invalid_request_error", "job_not_done")
        documents = [d.model_dump(mode="json") for d in parsed.documents]
        return {"job_id": parsed.job_id, "documents": await assign_saved(
            documents, job.get("saved_topics") or [], self.embedder, parsed.min_similarity)}

    async def submit_job(self, request: dict) -> dict:
        """`POST /v1/topics/jobs`: the job, stored, with its id; it runs in the background."""
        self.jobs.watch()
        if isinstance(request.get("documents"), list):
            self._check_size(len(request["documents"]), self.settings.job_max_documents, "job", hint="")
        if isinstance(request.get("corpus_uri"), str) and not request.get("documents") and not request.get("jsonl"):
            # a corpus that cannot be read is refused now, saying why, not as a failed job later
            try:
                await asyncio.to_thread(probe, request["corpus_uri"])
            except CorpusError as exc:
                raise errors.bad_request(str(exc), "corpus_uri", code=exc.code) from None
        return await self.jobs.submit(request)

    async def job(self, job_id: str) -> dict:
        """`GET /v1/topics/jobs/{id}`: state, progress and, when done, the results and metrics."""
        self.jobs.watch()
        job = await self.jobs.store.get(job_id)
        if job is None:
            raise errors.not_found(f"no topic job '{job_id}'", "job_not_found")
        return public(job)

    async def list_jobs(self) -> dict:
        """`GET /v1/topics/jobs`: every job, newest first, without results."""
        self.jobs.watch()
        return {"jobs": [public(job, with_result=False) for job in await self.jobs.store.list()]}

    async def job_chart(self, job_id: str) -> bytes:
        """`GET /v1/topics/jobs/{id}/chart`: the finished job's trend chart, drawn from its stored result."""
        job = await self.job(job_id)
        if job["state"] != "done":
            raise ServiceError(409, f"topic job '{job_id}' is {job['state']}; its chart comes when it is done",
                               "invalid_request_error", "job_not_done")
        return await asyncio.to_thread(render_chart, job["result"]["trends"], self.settings.chart_topics)

    async def check_health(self) -> None:
        """Serve's health check; it also starts the job watcher, so a restarted replica takes over stale jobs."""
        self.jobs.watch()
