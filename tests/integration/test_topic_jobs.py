"""Topic jobs through a real Serve app with a real LanceDB: a job survives a killed TopicPipeline replica.

Its own app (route prefix /topicjobs) with `topics.storage` in a temporary directory, small label chunks
and a short stale time, so the job is taken over within seconds of the kill and resumes from the
label cache. Eight short documents: the LLM runs on 2 CPU cores.

Both jobs read a gzipped JSONL corpus URI as a streamed Ray Data pipeline on the replica, whose actors
label through the app's TopicPipeline handle, two documents a block. The second job's labels are all
cache hits, and the finished job keeps each document's text and the vibe-check rows.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time

import httpx
import pytest

from tests.integration.conftest import _wait_healthy, app_args_for_tests

pytestmark = pytest.mark.integration

APP = "topicjobs"
TEXTS = ["The museum bought a Monet painting of water lilies.", "A bronze sculpture by Rodin went on display.",
         "We restored a Byzantine icon of the Virgin.", "A Hokusai woodblock print joined the collection.",
         "The gallery lent an Impressionist landscape to Paris.", "Conservators cleaned a marble Roman bust.",
         "A street artist painted a mural for the station.", "The foundation acquired Delftware ceramics."]
HUMAN = ["Painting", "Sculpture", "Icons", "Prints", "Painting", "Sculpture", "Street art", "Ceramics"]
DOCS = [{"id": f"d{i}", "text": t, "timestamp": f"2025-{1 + i:02d}-05T00:00:00Z", "human_topics": [h]}
        for i, (t, h) in enumerate(zip(TEXTS, HUMAN))]


def _replicas() -> list[str]:
    import ray

    return sorted(a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
                  if a["name"].startswith(f"SERVE_REPLICA::{APP}#TopicPipeline#"))


@pytest.fixture(scope="module")
def jobs_url(base_url: str):
    from ray import serve

    from app import build_app

    args = app_args_for_tests()
    args["topics"] = {**args["topics"], "storage": {"uri": tempfile.mkdtemp(prefix="medici-topic-jobs-")},
                      "job_chunk": 2, "job_stale_s": 8, "job_poll_s": 1}
    args["options"] = {"LLMServer": {"ray_actor_options": {"num_cpus": 0.5}},
                       "Embedder": {"ray_actor_options": {"num_cpus": 0}},
                       "Ingress": {"ray_actor_options": {"num_cpus": 0}},
                       "TopicPipeline": {"ray_actor_options": {"num_cpus": 0}}}
    serve.run(build_app(args), name=APP, route_prefix=f"/{APP}", blocking=False)
    url = f"{base_url}/{APP}"
    _wait_healthy(url, timeout_s=600)
    try:
        yield url
    finally:
        serve.delete(APP)


def _job(url: str, job_id: str) -> dict:
    response = httpx.get(f"{url}/v1/topics/jobs/{job_id}", timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _corpus(path, docs: list[dict] = DOCS) -> str:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps(d) + "\n" for d in docs))
    return str(path)


# the killed-replica job: long enough that the kill lands while chunks are still to label (the 8 documents alone
# were all labelled before the kill took effect once the engine got faster)
LONG = [{**d, "id": f"{d['id']}-{k}"} for k in range(3) for d in DOCS]


def test_a_job_survives_a_killed_topic_pipeline_replica(jobs_url: str, tmp_path) -> None:
    import ray

    corpus = _corpus(tmp_path / "corpus.jsonl.gz", LONG)
    submitted = httpx.post(f"{jobs_url}/v1/topics/jobs", json={"corpus_uri": corpus}, timeout=60)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    deadline = time.monotonic() + 600
    while _job(jobs_url, job_id)["progress"]["labelled"] < 2:  # the first chunk is labelled and cached
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.5)
    (victim,) = _replicas()
    ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)

    job = None
    while time.monotonic() < deadline:
        try:
            job = _job(jobs_url, job_id)
        except (httpx.HTTPError, AssertionError):
            time.sleep(1)  # the replica is restarting
            continue
        if job["state"] in ("done", "failed"):
            break
        time.sleep(1)
    assert job is not None and job["state"] == "done", job
    assert job["progress"]["labelled"] == job["progress"]["total"] == len(LONG)
    assert job["attempts"] >= 2  # taken over by the new replica
    # labelled as a streamed Ray Data pipeline on the replica, a batch of `job_chunk` (2) documents at a time
    assert job["labelled_via"] == "ray_data" and job["progress"]["batches"] == len(LONG) // 2
    assert _replicas() != [victim]
    assert {d["id"] for d in job["result"]["documents"]} == {d["id"] for d in LONG}
    assert any(d["labels"] for d in job["result"]["documents"])

    listed = httpx.get(f"{jobs_url}/v1/topics/jobs", timeout=60).json()["jobs"]
    assert job_id in [j["id"] for j in listed]
    chart = httpx.get(f"{jobs_url}/v1/topics/jobs/{job_id}/chart", timeout=60)
    assert chart.status_code == 200 and chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    missing = httpx.get(f"{jobs_url}/v1/topics/jobs/job-nope", timeout=60)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
    bad = httpx.post(f"{jobs_url}/v1/topics/jobs", json={"documents": DOCS, "corpus_uri": "x.jsonl"}, timeout=60)
    assert 400 <= bad.status_code < 500 and "error" in bad.json()


def _until_finished(url: str, job_id: str) -> dict:
    deadline = time.monotonic() + 600
    while (job := _job(url, job_id))["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(1)
    return job


def test_a_corpus_uri_job_keeps_texts_and_vibe_rows(jobs_url: str, tmp_path) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl.gz")
    submitted = httpx.post(f"{jobs_url}/v1/topics/jobs", json={"corpus_uri": corpus}, timeout=60)
    assert submitted.status_code == 202, submitted.text

    job = _until_finished(jobs_url, submitted.json()["id"])

    assert job["state"] == "done", job
    assert job["progress"]["labelled"] == job["progress"]["total"] == len(DOCS)
    assert job["labelled_via"] == "ray_data" and job["progress"]["batches"] == len(DOCS) // 2
    documents = {d["id"]: d for d in job["result"]["documents"]}
    assert {i: d["text"] for i, d in documents.items()} == {d["id"]: d["text"] for d in DOCS}
    assert all(d["labels"] for d in documents.values())
    rows = {r["id"]: r for r in job["vibe_check"]}
    assert set(rows) == set(documents)
    assert all(rows[d["id"]]["human_topics"] == d["human_topics"] for d in DOCS)
    assert all(rows[i]["model_topics"] == documents[i]["topics"] for i in rows)
    assert 0.0 <= job["metrics"]["nmi"] <= 1.0

    # inline documents are already in the replica's memory: labelled there in chunks, from the cache here
    inline = _until_finished(jobs_url, httpx.post(f"{jobs_url}/v1/topics/jobs", json={"documents": DOCS},
                                                  timeout=60).json()["id"])
    assert inline["state"] == "done" and inline["labelled_via"] == "chunks", inline
    assert [d["topics"] for d in inline["result"]["documents"]] == [documents[d["id"]]["topics"] for d in DOCS]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "text": " "}) + "\n")
    failed = _until_finished(jobs_url, httpx.post(f"{jobs_url}/v1/topics/jobs", json={"corpus_uri": str(bad)},
                                                  timeout=60).json()["id"])
    assert failed["state"] == "failed" and "line 1: field `text`" in failed["error"], failed
    assert "CorpusDocument" not in failed["error"] and "1 bad line in " in failed["error"]
    twice = tmp_path / "twice.jsonl"
    twice.write_text("".join(json.dumps(d) + "\n" for d in (DOCS[0], DOCS[0])))
    repeated = _until_finished(jobs_url, httpx.post(f"{jobs_url}/v1/topics/jobs", json={"corpus_uri": str(twice)},
                                                    timeout=60).json()["id"])
    assert repeated["state"] == "failed" and "line 2: id 'd0' repeats line 1" in repeated["error"], repeated
    assert repeated["progress"]["labelled"] == 0  # found before any labelling


def test_a_half_labelled_upload_is_scored_on_its_labelled_half_and_listed_with_its_source(jobs_url: str,
                                                                                         tmp_path) -> None:
    """An uploaded file's text (`jsonl`) with one bad line: a 400 naming line 3, or, with `skip_bad_lines`,
    a job that lists the line; half the documents carry human topics, so the metrics and the vibe check
    are on those, and the job list shows the file name, window, counts and duration. The texts are the
    other tests' (labels from the cache)."""
    half = [dict(d) for d in DOCS]
    for d in half[len(half) // 2:]:
        del d["human_topics"]
    lines = [json.dumps(d) for d in half]
    lines.insert(2, json.dumps({"id": "no-text", "timestamp": "2025-01-01"}))
    upload = {"jsonl": "\n".join(lines), "source_name": "half.jsonl", "window": "month"}

    refused = httpx.post(f"{jobs_url}/v1/topics/jobs", json=upload, timeout=60)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["message"].startswith("1 bad line in half.jsonl: line 3: field `text` is required")
    assert error["param"] == "jsonl" and "skip_bad_lines" in error["message"]

    submitted = httpx.post(f"{jobs_url}/v1/topics/jobs", json={**upload, "skip_bad_lines": True}, timeout=60)
    assert submitted.status_code == 202, submitted.text
    job = _until_finished(jobs_url, submitted.json()["id"])
    assert job["state"] == "done", job
    assert job["skipped_count"] == 1 and job["skipped_lines"] == [{"line": 3, "message": "field `text` is required"}]
    labelled = len(DOCS) // 2
    assert job["evaluation"] == {"labelled": labelled, "total": len(DOCS), "reason": None,
                                 "summary": f"on {labelled} of {len(DOCS)} labelled documents"}
    assert job["metrics"] is not None and 0.0 <= job["metrics"]["nmi"] <= 1.0
    assert [r["id"] for r in job["vibe_check"]] == [d["id"] for d in DOCS[:labelled]]
    names = [t["label"].casefold() for t in job["result"]["topics"]]
    assert len(names) == len(set(names))
    listed = {j["id"]: j for j in httpx.get(f"{jobs_url}/v1/topics/jobs", timeout=60).json()["jobs"]}[job["id"]]
    assert (listed["source"], listed["window"], listed["documents"], listed["labelled"]) == \
        ("half.jsonl", "month", len(DOCS), labelled)
    assert listed["topic_count"] == sum(1 for t in job["result"]["topics"] if not t.get("other"))
    assert listed["duration_s"] is not None and listed["duration_s"] >= 0

    missing = httpx.post(f"{jobs_url}/v1/topics/jobs", json={"corpus_uri": str(tmp_path / "gone.jsonl")}, timeout=60)
    assert missing.status_code == 400, missing.text
    assert missing.json()["error"]["code"] == "corpus_not_found"
    assert missing.json()["error"]["message"] == f"cannot read {tmp_path / 'gone.jsonl'}: not found"
    both = httpx.post(f"{jobs_url}/v1/topics/jobs", json={**upload, "corpus_uri": str(tmp_path / "x.jsonl")},
                      timeout=60)
    assert both.status_code == 400 and "give one source" in both.json()["error"]["message"]
    assert both.json()["error"]["param"] == "corpus_uri"
