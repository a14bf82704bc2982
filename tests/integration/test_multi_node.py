"""Scale-out on a real multi-node Ray cluster on this machine: a head and two worker nodes, each
`ray start` in its own process group (tests/multi_node.py), the app deployed with `serve deploy` of
serve_config.yaml (working_dir from a loopback archive of this repository), documents in a LanceDB
database on a loopback S3 server (moto), topic jobs in a LanceDB directory shared by the nodes.

The config is production's with only what a 2-core machine needs changed: CPU shares, the proxy on the
head only (every node would bind the same port here), and the LLMServer's autoscaling scaled down in
time and size (SCALE): same policy, seconds instead of minutes, a target of 2 requests instead of 16.
The LLMServer asks for `gpu_standin`, a custom resource only the workers have (one each), so its
replicas land on worker nodes exactly as GPU replicas land on a KubeRay GPU worker group. The
DocumentStore and the TopicPipeline run one replica per worker (`store_slot`, `topics_slot`); the
ingress, Embedder and Agent stay on the head.

Claims, each read from Serve's own status (the dashboard's REST API) and from every response:
- under a burst the LLMServer goes from 1 to 2 replicas, the new one on another worker node, and back
  to 1 after the downscale delay; no request fails, every stream ends with [DONE], including streams
  in flight on the replica that is stopped (graceful shutdown);
- a document or topic job written through a replica on one node is read through a replica on another
  (which replica served a request is read from the replicas' own logs, by the request id);
- a worker node killed (its process group, SIGKILL: a lost node) while documents are being written
  loses no acknowledged write, the service keeps answering, and a replacement node brings every
  deployment back to HEALTHY.

Marked `multi_node`; `make test` and `.ci/run` run it with the rest.
"""

from __future__ import annotations

import copy
import json
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.archive_server import FAKE_SHA, Route, production_config, repo_zip, serve_archives, write_config
from tests.integration.conftest import app_args_for_tests
from tests.multi_node import BIN, MultiNodeCluster, multi_node_cluster
from tests.net import free_port

pytestmark = [pytest.mark.integration, pytest.mark.multi_node]

APP = "medici"
BUCKET = "medici-multi-node"
KEY, SECRET = "testing-key-id", "testing-secret-value"
WORKER = {"gpu_standin": 1, "store_slot": 1, "topics_slot": 1}
# Production's LLMServer policy (serve_config.yaml) scaled to 2 cores and a test's minutes: target 16 -> 2
# ongoing requests, max_ongoing 2 x target as in production, delays of seconds instead of 30 s / 600 s.
SCALE = {"min_replicas": 1, "initial_replicas": 1, "max_replicas": 2, "target_ongoing_requests": 2,
         "upscale_delay_s": 1, "downscale_delay_s": 8, "look_back_period_s": 2, "metrics_interval_s": 1}
MAX_ONGOING = 4
CLIENT_TIMEOUT_S = 150.0  # above the ingress deadline (120 s): past this a request hung
READY_TIMEOUT_S = 420.0


def _on(resource: str, cpus: float, amount: float = 1) -> dict:
    return {"num_cpus": cpus, "num_gpus": 0, "resources": {resource: amount}}


def multi_node_config(archive_url: str, port: int, s3: str, topics_dir: str) -> dict:
    """serve_config.yaml with the changes this machine needs; everything else is production's."""
    config = production_config()
    config["proxy_location"] = "HeadOnly"
    config["http_options"].update(host="127.0.0.1", port=port)
    (app,) = config["applications"]
    app["runtime_env"] = {"working_dir": archive_url, "env_vars": {
        "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1"}}
    args = copy.deepcopy(app_args_for_tests())
    args.pop("options")  # the deployments below carry every option, as in production
    args["llm"].update(app["args"]["llm"])
    args["documents"]["storage"] = {"uri": f"s3://{BUCKET}/medici", "storage_options": {
        "aws_endpoint": s3, "aws_region": "us-east-1", "allow_http": "true"}}
    args["documents"]["corpus_uri"] = None
    args["topics"].update(storage={"data_dir": topics_dir}, job_stale_s=5, job_poll_s=1, job_chunk=4)
    app["args"] = args
    for deployment in app["deployments"]:
        name = deployment["name"]
        if name == "LLMServer":
            assert deployment["autoscaling_config"]["max_replicas"] >= SCALE["max_replicas"]
            deployment["autoscaling_config"] = dict(SCALE)
            deployment["max_ongoing_requests"] = MAX_ONGOING
            deployment["ray_actor_options"] = _on("gpu_standin", 0.25)
            deployment["user_config"]["request_timeout_s"] = 100
            continue
        deployment.pop("autoscaling_config", None)
        if name == "DocumentStore":
            deployment.update(num_replicas=2, ray_actor_options=_on("store_slot", 0.25))
        elif name == "TopicPipeline":
            deployment.update(num_replicas=2, ray_actor_options=_on("topics_slot", 0.25))
        else:
            deployment.update(num_replicas=1, ray_actor_options=_on("head", 0.25, 0.01))
    return config


# ---- Serve's status ---------------------------------------------------------------------------------------


def deployments(cluster: MultiNodeCluster) -> dict:
    return cluster.api("/api/serve/applications/")["applications"][APP]["deployments"]


def running(cluster: MultiNodeCluster, deployment: str) -> list[dict]:
    return [r for r in deployments(cluster)[deployment]["replicas"] if r["state"] == "RUNNING"]


def wait_for(what: str, check, timeout_s: float, interval_s: float = 1.0):
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, KeyError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval_s)
    pytest.fail(f"{what}: not within {timeout_s:g}s; last: {last}")


def _exactly(items: list, n: int) -> list | None:
    return items if len(items) == n else None


# ---- requests -------------------------------------------------------------------------------------------


def stream_completion(base: str, seed: int, max_tokens: int) -> dict:
    """One streamed completion; what came back, for the assertions."""
    body = {"prompt": f"Story {seed}: a painter walked", "max_tokens": max_tokens, "temperature": 0.8,
            "seed": seed, "ignore_eos": True, "stream": True}
    started = time.monotonic()
    try:
        with httpx.stream("POST", f"{base}/v1/completions", json=body, timeout=CLIENT_TIMEOUT_S) as reply:
            if reply.status_code != 200:
                return {"status": reply.status_code, "events": [reply.read().decode()], "s": 0.0}
            events = [line[6:] for line in reply.iter_lines() if line.startswith("data: ")]
    except httpx.HTTPError as exc:
        return {"status": -1, "events": [repr(exc)], "s": time.monotonic() - started}
    return {"status": 200, "events": events, "s": time.monotonic() - started}


def complete_stream(result: dict) -> bool:
    """200, every event JSON with a choice, the last one finished by length, then [DONE]."""
    events = result["events"]
    if result["status"] != 200 or len(events) < 2 or events[-1] != "[DONE]":
        return False
    chunks = [json.loads(e) for e in events[:-1]]
    return all("choices" in c for c in chunks) and chunks[-1]["choices"][0]["finish_reason"] == "length"


class Load:
    """``clients`` threads sending streamed completions back to back until stopped."""

    def __init__(self, base: str, clients: int, max_tokens: int, seed0: int) -> None:
        self.base, self.max_tokens, self.results = base, max_tokens, []
        self.stopped = threading.Event()
        self.pool = ThreadPoolExecutor(clients)
        self.futures = [self.pool.submit(self._client, seed0 + 1000 * k) for k in range(clients)]

    def _client(self, seed: int) -> None:
        while not self.stopped.is_set():
            seed += 1
            self.results.append(stream_completion(self.base, seed, self.max_tokens))

    def stop(self) -> list[dict]:
        self.stopped.set()
        for future in self.futures:
            future.result(timeout=CLIENT_TIMEOUT_S * 2)
        self.pool.shutdown()
        return self.results


# ---- the cluster and the app ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY,
                 aws_secret_access_key=SECRET).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployed(s3_endpoint: str, tmp_path_factory) -> Iterator[tuple[MultiNodeCluster, str]]:
    archive = f"/medici-ai/medici/archive/{FAKE_SHA}.zip"
    port = free_port()
    topics_dir = str(tmp_path_factory.mktemp("topics-db"))
    with serve_archives({archive: Route(repo_zip(f"medici-{FAKE_SHA}/"))}) as server, \
            multi_node_cluster(head_cpus=1, head_resources={}, workers={"w1": WORKER, "w2": WORKER}) as cluster:
        config = multi_node_config(server.url(archive), port, s3_endpoint, topics_dir)
        path = write_config(Path(topics_dir) / "serve_config.yaml", config)
        deploy = subprocess.run([str(BIN / "serve"), "deploy", str(path), "-a", cluster.dashboard_url],
                                capture_output=True, text=True, timeout=120, env=cluster.env, cwd="/tmp")
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        base = f"http://127.0.0.1:{port}"

        def ready():
            app = cluster.api("/api/serve/applications/")["applications"].get(APP) or {}
            if app.get("status") == "DEPLOY_FAILED":
                pytest.fail(f"deploy failed: {app.get('message')}")
            return app.get("status") == "RUNNING" and httpx.get(f"{base}/healthz", timeout=10).status_code == 200

        wait_for("the app RUNNING and healthy", ready, READY_TIMEOUT_S, 2)
        yield cluster, base


def test_replicas_are_placed_by_their_resources(deployed):
    cluster, _ = deployed
    names = cluster.alive_nodes()
    placed = {name: sorted(names[r["node_id"]] for r in running(cluster, name))
              for name in ("LLMServer", "DocumentStore", "TopicPipeline", "Ingress", "Embedder", "Agent")}
    assert len(placed["LLMServer"]) == 1 and placed["LLMServer"][0] in ("w1", "w2")
    assert placed["DocumentStore"] == placed["TopicPipeline"] == ["w1", "w2"]
    assert placed["Ingress"] == placed["Embedder"] == placed["Agent"] == ["head"]


def test_the_llm_scales_out_to_another_worker_and_back_losing_no_request(deployed):
    cluster, base = deployed
    (first,) = running(cluster, "LLMServer")
    names = cluster.alive_nodes()
    burst = Load(base, clients=4 * SCALE["target_ongoing_requests"], max_tokens=24, seed0=0)
    try:
        pair = wait_for("2 running LLMServer replicas", lambda: _exactly(running(cluster, "LLMServer"), 2), 300)
        (second,) = [r for r in pair if r["replica_id"] != first["replica_id"]]
        wait_for("the new replica serving part of the burst",
                 lambda: cluster.served_calls(APP, "LLMServer", second["replica_id"]) >= 2, 120)
    finally:
        burst_results = burst.stop()
    assert {names[first["node_id"]], names[second["node_id"]]} == {"w1", "w2"}  # one per stand-in GPU

    # a light load (below one replica's target) during the downscale delay and the scale-down: streams
    # still running on the replica being stopped must finish (graceful shutdown), none is cut
    trickle = Load(base, clients=SCALE["target_ongoing_requests"], max_tokens=128, seed0=50_000)
    try:
        wait_for("LLMServer back to 1 replica", lambda: [r["state"] for r in
                 deployments(cluster)["LLMServer"]["replicas"]] == ["RUNNING"], 180)
    finally:
        trickle_results = trickle.stop()
    assert deployments(cluster)["LLMServer"]["status"] == "HEALTHY"
    (stopped,) = {first["replica_id"], second["replica_id"]} - {r["replica_id"] for r in running(cluster, "LLMServer")}
    stop_at = min(t for t, message in cluster.controller_log() if f"Stopping Replica(id='{stopped}'" in message)
    # the replica being stopped still finished the stream it was running (graceful shutdown)
    assert [m for t, m in cluster.replica_log(APP, "LLMServer", stopped) if t > stop_at and " OK " in m], stop_at
    assert len(burst_results) >= 8 and len(trickle_results) >= 2
    failed = [r for r in [*burst_results, *trickle_results] if not complete_stream(r)]
    assert failed == [], failed[:3]


def _post(base: str, path: str, body: dict, rid: str, timeout: float = CLIENT_TIMEOUT_S) -> httpx.Response:
    return httpx.post(f"{base}{path}", json=body, headers={"X-Request-Id": rid}, timeout=timeout)


def _get(base: str, path: str, rid: str) -> httpx.Response:
    return httpx.get(f"{base}{path}", headers={"X-Request-Id": rid}, timeout=CLIENT_TIMEOUT_S)


def test_documents_and_topic_jobs_written_on_one_node_are_read_on_another(deployed):
    cluster, base = deployed
    written = {}
    for i in range(10):
        rid = uuid.uuid4().hex
        doc = {"id": f"shared-{i}", "text": f"Shared note {i}: the storage is one LanceDB on S3.",
               "metadata": {"n": i}}
        reply = _post(base, "/v1/documents", {"documents": [doc]}, rid)
        assert reply.status_code == 200, reply.text
        written[doc["id"]] = (doc, cluster.served_by(APP, rid, "DocumentStore"))
    pairs = set()
    for doc_id, (doc, (wrote,)) in written.items():
        for _ in range(6):
            rid = uuid.uuid4().hex
            reply = _get(base, f"/v1/documents/{doc_id}", rid)
            assert reply.status_code == 200, reply.text
            assert {k: reply.json()[k] for k in ("id", "text", "metadata")} == doc
            (read,) = cluster.served_by(APP, rid, "DocumentStore")
            pairs.add((wrote, read))
            if read != wrote:
                break
    assert {("w1", "w2"), ("w2", "w1")} <= pairs  # each node's writes read through the other node's replica

    docs = [{"id": f"job-{i}", "text": text} for i, text in enumerate(JOB_TEXTS)]
    rid = uuid.uuid4().hex
    submitted = _post(base, "/v1/topics/jobs", {"documents": docs}, rid)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    (wrote,) = cluster.served_by(APP, rid, "TopicPipeline")
    reads = []

    def done_elsewhere():
        rid = uuid.uuid4().hex
        job = _get(base, f"/v1/topics/jobs/{job_id}", rid).json()
        reads.append(cluster.served_by(APP, rid, "TopicPipeline"))
        return job if job.get("state") == "done" and reads[-1] != {wrote} else None

    job = wait_for("the job done, read through the other node's replica", done_elsewhere, 240, 0.5)
    assert job["progress"]["labelled"] == job["progress"]["total"] == len(docs)
    assert {d["id"] for d in job["result"]["documents"]} == {d["id"] for d in docs}
    assert all(d["labels"] for d in job["result"]["documents"])


JOB_TEXTS = ["The quarterly budget review moved to Friday.", "Our cafeteria now serves vegan lunches.",
             "The finance team closed the annual accounts.", "A new salad bar opened in the cafeteria.",
             "Travel expenses need a receipt from now on.", "The kitchen on floor two is being renovated."]


def test_a_killed_worker_loses_no_acknowledged_write_and_the_service_recovers(deployed):
    cluster, base = deployed
    names = cluster.alive_nodes()
    (llm,) = running(cluster, "LLMServer")
    victim = names[llm["node_id"]]  # the node of the only LLM replica: the worst node to lose
    (survivor,) = [name for name in cluster.workers if name != victim]
    outcomes: list[tuple[str, int]] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            doc_id = f"kill-{i}"
            try:
                reply = _post(base, "/v1/documents", {"documents": [{"id": doc_id, "text": f"written {i}"}]},
                              uuid.uuid4().hex)
                outcomes.append((doc_id, reply.status_code))
            except httpx.TimeoutException:
                outcomes.append((doc_id, -1))  # a hang: the assertion below names it
            time.sleep(0.2)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_for("writes acknowledged", lambda: sum(s == 200 for _, s in outcomes) >= 5, 60, 0.2)
        cluster.kill_worker(victim)
        wait_for(f"{victim} declared dead", lambda: victim not in cluster.alive_nodes().values(), 60)
        acked_before = sum(s == 200 for _, s in outcomes)
        wait_for("writes acknowledged after the kill", lambda: sum(s == 200 for _, s in outcomes) >= acked_before + 5,
                 120, 0.5)
    finally:
        stop.set()
        thread.join(timeout=CLIENT_TIMEOUT_S + 10)
    assert -1 not in [s for _, s in outcomes], "a write hung"
    assert all(s == 200 or s >= 500 for _, s in outcomes), outcomes
    acked = [doc_id for doc_id, s in outcomes if s == 200]
    for doc_id in acked:  # every acknowledged write is there, read through the surviving node
        # a 503 says "retry" (the API already retries a read whose replica died): a client does; a 404 fails at once
        reply = wait_for(f"{doc_id} read", lambda: (r := httpx.get(f"{base}/v1/documents/{doc_id}",
                                                                   timeout=CLIENT_TIMEOUT_S)).status_code != 503 and r,
                         60, 1)
        assert reply.status_code == 200 and reply.json()["text"] == f"written {doc_id.split('-')[1]}", reply.text

    # the LLM replica is started again on the surviving worker (its stand-in GPU is free)
    wait_for("an LLM replica running on the surviving worker",
                        lambda: [r for r in running(cluster, "LLMServer")
                                 if cluster.alive_nodes().get(r["node_id"]) == survivor] or None, 240, 2)
    reply = httpx.post(f"{base}/v1/completions", json={"prompt": "1, 2, 3,", "max_tokens": 4}, timeout=CLIENT_TIMEOUT_S)
    assert reply.status_code == 200, reply.text

    # a replacement node: the DocumentStore and TopicPipeline get their second replica back
    cluster.add_worker("w3", WORKER)
    wait_for("every deployment HEALTHY, store and topics on the new node", lambda: all(
        d["status"] == "HEALTHY" for d in deployments(cluster).values()) and all(
        "w3" in {cluster.alive_nodes().get(r["node_id"]) for r in running(cluster, name)}
        for name in ("DocumentStore", "TopicPipeline")), 240, 2)
    assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
