"""Topic jobs with fakes: an id at once, progress, results; a stale job resumes from the label cache."""

import asyncio
import time

import pytest

from deployments.errors import ServiceError
from deployments.topics.jobs import new_job
from deployments.topics.label_cache import MemoryLabelStore
from deployments.topics.pipeline import TopicPipeline
from deployments.topics.store import MemoryJobStore
from tests.unit.fakes import FakeEmbedder, FakeLLMClient

ANSWERS = {"alpha": " Alpha", "beta": " Beta"}


def _docs(n: int, human: bool = True) -> list[dict]:
    docs = [{"id": f"d{i}", "text": f"{'alpha' if i % 2 else 'beta'} note {i}",
             "timestamp": f"2025-{1 + i % 12:02d}-01T00:00:00Z"} for i in range(n)]
    for d in docs:
        if human:
            d["human_topics"] = ["Alpha" if "alpha" in d["text"] else "Beta"]
    return docs


def _pipeline(client, labels=None, jobs=None, **settings) -> TopicPipeline:
    return TopicPipeline(settings={"job_chunk": 4, **settings}, llm_client=client, text_embedder=FakeEmbedder(),
                         label_store=labels, job_store=jobs)


async def _until_done(pipeline: TopicPipeline, job_id: str) -> dict:
    for _ in range(500):
        job = await pipeline.job(job_id)
        if job["state"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.01)
    raise AssertionError("job did not finish")


def test_a_job_answers_its_id_at_once_then_progress_results_metrics_and_chart():
    client = FakeLLMClient(ANSWERS)
    pipeline = _pipeline(client)

    async def scenario():
        submitted = await pipeline.submit_job({"documents": _docs(10)})
        assert submitted["state"] == "queued" and submitted["id"].startswith("job-")
        job = await _until_done(pipeline, submitted["id"])
        listed = await pipeline.list_jobs()
        png = await pipeline.job_chart(submitted["id"])
        return job, listed, png

    job, listed, png = asyncio.run(scenario())
    assert job["state"] == "done" and job["progress"]["labelled"] == job["progress"]["total"] == 10
    assert job["progress"]["eta_s"] == 0 and job["progress"]["rate_docs_s"] > 0
    assert {t["label"] for t in job["result"]["topics"]} == {"Alpha", "Beta"}
    assert job["metrics"]["nmi"] == pytest.approx(1.0)
    assert [j["id"] for j in listed["jobs"]] == [job["id"]] and "result" not in listed["jobs"][0]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(client.requests) == 10


def test_a_stale_job_is_taken_over_and_labels_only_what_the_cache_lacks():
    labels, jobs = MemoryLabelStore(), MemoryJobStore()
    first = _pipeline(FakeLLMClient(ANSWERS), labels, jobs)
    asyncio.run(first.label_run([d["text"] for d in _docs(6, human=False)]))  # the dead replica got this far
    job = new_job({"documents": _docs(10, human=False), "window": "month"})
    job.update(state="running", heartbeat=time.time() - 3600)
    asyncio.run(jobs.put(job))

    client = FakeLLMClient(ANSWERS)
    second = _pipeline(client, labels, jobs, job_stale_s=1)

    async def scenario():
        taken = await second.jobs.take_over_stale()
        return taken, await _until_done(second, job["id"])

    taken, done = asyncio.run(scenario())
    assert taken == [job["id"]] and done["state"] == "done"
    assert len(client.requests) == 4  # the four documents the dead replica had not labelled
    assert done["metrics"] is None and done["result"]["documents"][9]["labels"] == ["Alpha"]


def test_job_errors_are_4xx():
    pipeline = _pipeline(FakeLLMClient(ANSWERS), job_max_documents=3, max_documents=5)
    with pytest.raises(ServiceError) as info:
        asyncio.run(pipeline.topics({"documents": _docs(6, human=False)}))
    assert info.value.status == 413 and "POST /v1/topics/jobs" in info.value.message
    with pytest.raises(ServiceError) as info:
        asyncio.run(pipeline.submit_job({"documents": _docs(4)}))
    assert info.value.status == 413
    with pytest.raises(ServiceError) as info:
        asyncio.run(pipeline.job("job-missing"))
    assert info.value.status == 404
    with pytest.raises(Exception):
        asyncio.run(pipeline.submit_job({"documents": _docs(2), "corpus_uri": "/tmp/x.jsonl"}))


def test_a_job_over_a_corpus_uri_and_a_bad_corpus_fails_with_its_line(tmp_path):
    import json

    # Built outside a Serve replica, the pipeline reads with smart_open line by line and labels in chunks
    # (on a replica a job is a Ray Data pipeline, tested in integration).
    good, bad = tmp_path / "c.jsonl", tmp_path / "bad.jsonl"
    good.write_text("".join(json.dumps(d) + "\n" for d in _docs(5)))
    bad.write_text('{"id": "a", "text": "alpha"}\nnot json\n')
    pipeline = _pipeline(FakeLLMClient(ANSWERS))

    async def scenario():
        ok = await pipeline.submit_job({"corpus_uri": str(good), "limit": 4})
        broken = await pipeline.submit_job({"corpus_uri": str(bad)})
        return await _until_done(pipeline, ok["id"]), await _until_done(pipeline, broken["id"])

    ok, broken = asyncio.run(scenario())
    assert ok["state"] == "done" and ok["progress"]["total"] == 4 and ok["source"] == str(good)
    assert ok["labelled_via"] == "chunks" and ok["progress"]["batches"] == 1  # job_chunk 4
    assert broken["state"] == "failed" and "1 bad line in " in broken["error"]
    assert "bad.jsonl: line 2: not JSON" in broken["error"]


def test_new_documents_go_to_a_done_jobs_saved_topics_without_the_llm():
    client = FakeLLMClient(ANSWERS)
    pipeline = _pipeline(client)

    async def scenario():
        submitted = await pipeline.submit_job({"documents": _docs(10)})
        job = await _until_done(pipeline, submitted["id"])
        calls = len(client.requests)
        new = [{"id": "n1", "text": "alpha note again"}, {"id": "n2", "text": "beta note again"}]
        assigned = await pipeline.assign({"job_id": job["id"], "documents": new})
        strict = await pipeline.assign({"job_id": job["id"], "documents": new, "min_similarity": 0.99})
        return job, calls, assigned, strict

    job, calls, assigned, strict = asyncio.run(scenario())
    assert [t["label"] for t in job["saved_topics"]] and len(job["saved_topics"][0]["centroid"]) == 64
    assert [d["topic"] for d in assigned["documents"]] == ["Alpha", "Beta"]
    assert len(client.requests) == calls  # no relabelling
    assert [d["topic"] for d in strict["documents"]] == [None, None]
    with pytest.raises(ServiceError) as info:
        asyncio.run(pipeline.assign({"job_id": "job-nope", "documents": [{"id": "a", "text": "x"}]}))
    assert info.value.status == 404


def test_a_job_reads_a_gzipped_jsonl_corpus_served_from_loopback(tmp_path):
    import functools
    import gzip
    import http.server
    import json
    import threading

    with gzip.open(tmp_path / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps(d) + "\n" for d in _docs(6)))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pipeline = _pipeline(FakeLLMClient(ANSWERS))

        async def scenario():
            submitted = await pipeline.submit_job(
                {"corpus_uri": f"http://127.0.0.1:{server.server_address[1]}/corpus.jsonl.gz"})
            return await _until_done(pipeline, submitted["id"])

        job = asyncio.run(scenario())
    finally:
        server.shutdown()
    assert job["state"] == "done", job
    assert job["progress"]["total"] == 6 and job["metrics"]["nmi"] == pytest.approx(1.0)


def test_a_done_job_keeps_its_vibe_rows_and_each_documents_text_with_its_topics():
    pipeline = _pipeline(FakeLLMClient(ANSWERS))
    long = {"id": "long", "text": "alpha " + "word " * 200, "human_topics": ["Alpha"]}

    async def scenario():
        human = await pipeline.submit_job({"documents": _docs(6) + [long]})
        plain = await pipeline.submit_job({"documents": _docs(4, human=False)})
        return (await _until_done(pipeline, human["id"]), await _until_done(pipeline, plain["id"]),
                await pipeline.list_jobs())

    human, plain, listed = asyncio.run(scenario())
    rows = {r["id"]: r for r in human["vibe_check"]}
    assert set(rows) == {f"d{i}" for i in range(6)} | {"long"}
    assert rows["d1"]["human_topics"] == ["Alpha"] and rows["d1"]["model_topics"] == ["Alpha"]
    documents = {d["id"]: d for d in human["result"]["documents"]}
    assert documents["d0"]["text"] == "beta note 0" and documents["d0"]["primary_topic"] == "Beta"
    assert documents["long"]["text"].endswith("\u2026") and len(documents["long"]["text"]) <= 300
    assert plain["vibe_check"] is None and plain["result"]["documents"][0]["text"] == "beta note 0"
    assert all("vibe_check" not in job for job in listed["jobs"])
