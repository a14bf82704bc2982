"""The URI allow-lists through the real Serve HTTP proxy: refused before any job exists, any file is read or
written, or any connection is made; allowed places still work, against a real loopback S3 (moto) and a
real loopback HTTP server.

Its own application (`/uripolicy`): an Ingress with a strict `security.uris` and a TopicPipeline whose
environment points S3 at the moto server, both in front of the session app's LLMServer and Embedder
(handles), so no second model loads. A loopback listener counts every connection it receives: the refused
URIs name it, directly or through a redirect, and it must see none.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.integration.conftest import _free_port, app_args_for_tests

pytestmark = pytest.mark.integration

APP = "uripolicy"
DOCS = [{"id": "p1", "text": "The museum bought a Monet painting of water lilies."},
        {"id": "p2", "text": "A bronze sculpture by Rodin went on display."}]
CORPUS = "".join(json.dumps(d) + "\n" for d in DOCS).encode()
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret",
          "AWS_DEFAULT_REGION": "us-east-1"}


class Listener:
    """A loopback TCP port that counts the connections it accepts and closes them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def _redirect_server(listener_port: int) -> ThreadingHTTPServer:
    """Loopback HTTP: /c/corpus.jsonl the corpus; /c/hop redirects to it; /c/to-loopback and /c/to-metadata
    redirect where no caller may go. `server.paths` records what was asked."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.server.paths.append(self.path)
            targets = {"/c/hop": "/c/corpus.jsonl", "/c/to-loopback": f"http://127.0.0.1:{listener_port}/secret",
                       "/c/to-metadata": "http://169.254.169.254/latest/meta-data/"}
            if self.path in targets:
                self.send_response(302)
                self.send_header("Location", targets[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/c/corpus.jsonl":
                self.send_response(200)
                self.send_header("Content-Length", str(len(CORPUS)))
                self.end_headers()
                self.wfile.write(CORPUS)
            else:
                self.send_error(404)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.paths = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """allowed/ (the corpus; a symlink out), outside/ (a secret), out/ (writable)."""
    root = tmp_path_factory.mktemp("uripolicy")
    for name in ("allowed", "outside", "out"):
        (root / name).mkdir()
    (root / "allowed" / "corpus.jsonl").write_bytes(CORPUS)
    (root / "outside" / "secret.jsonl").write_text(json.dumps({"id": "s", "text": "the secret"}) + "\n")
    os.symlink(root / "outside" / "secret.jsonl", root / "allowed" / "link_out.jsonl")
    return root


@pytest.fixture(scope="module")
def s3():
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"])
    client.create_bucket(Bucket="corpora")
    client.put_object(Bucket="corpora", Key="in/corpus.jsonl", Body=CORPUS)
    client.put_object(Bucket="corpora", Key="private/secret.jsonl", Body=CORPUS)
    try:
        yield endpoint, client
    finally:
        server.stop()


@pytest.fixture(scope="module")
def guarded(base_url: str, places, s3, tmp_path_factory):
    """(url of the app, the listener, the redirect server)."""
    from ray import serve

    from deployments.api.ingress import Ingress
    from deployments.topics.pipeline import TopicPipeline

    endpoint, _ = s3
    listener = Listener()
    redirects = _redirect_server(listener.port)
    web = f"http://127.0.0.1:{redirects.server_address[1]}"
    security = {"uris": {"read": [str(places / "allowed"), "s3://corpora/in", f"{web}/c"],
                         "write": [str(places / "out"), "s3://corpora/out"],
                         "private_networks": ["127.0.0.1/32"],  # the loopback test servers; the prefixes still decide
                         "resolve_timeout_s": 5}}
    topic_settings = {**app_args_for_tests()["topics"], "storage": {"uri": str(tmp_path_factory.mktemp("uripolicy-db"))}, "job_chunk": 2,
                      "job_poll_s": 1}
    llm = serve.get_deployment_handle("LLMServer", app_name="medici")
    embedder = serve.get_deployment_handle("Embedder", app_name="medici")
    env = {**S3_ENV, "AWS_ENDPOINT_URL": endpoint}
    topics = serve.deployment(TopicPipeline, name="TopicPipeline", ray_actor_options={
        "num_cpus": 0, "runtime_env": {"env_vars": env}}).bind(llm, embedder, topic_settings)
    ingress = serve.deployment(serve.ingress()(Ingress), name="Ingress", ray_actor_options={"num_cpus": 0})
    serve.run(ingress.bind(llm=llm, embedder=embedder, topics=topics, security=security), name=APP,
              route_prefix=f"/{APP}")
    try:
        yield f"{base_url}/{APP}", listener, redirects, web
    finally:
        serve.delete(APP)
        redirects.shutdown()
        listener.sock.close()


def _jobs(url: str) -> int:
    response = httpx.get(f"{url}/v1/topics/jobs", timeout=60)
    assert response.status_code == 200, response.text
    return len(response.json()["jobs"])


def _refused(url: str, body: dict, field: str) -> str:
    response = httpx.post(f"{url}/v1/topics/jobs", json=body, timeout=60)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == field and error["code"] == "uri_not_allowed", error
    assert "security.uris" in error["message"]
    return error["message"]


def _until_finished(url: str, job_id: str) -> dict:
    deadline = time.monotonic() + 300
    while True:
        job = httpx.get(f"{url}/v1/topics/jobs/{job_id}", timeout=60).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(1)


READS = ["/etc/passwd", "file:///etc/passwd", "file:///", "{places}/allowed/../outside/secret.jsonl",
         "{places}/allowed/%2e%2e/outside/secret.jsonl", "{places}/allowed/link_out.jsonl",
         "http://127.0.0.1:{listener}/corpus.jsonl", "http://169.254.169.254/latest/meta-data/",
         "{web}/c/to-loopback", "{web}/c/to-metadata", "{web}/other/corpus.jsonl", "s3://corpora/private/secret.jsonl",
         "s3://key:secret@127.0.0.1:{listener}@corpora/in/corpus.jsonl", "https://localhost:{listener}/c"]


@pytest.mark.parametrize("uri", READS)
def test_a_corpus_outside_the_allowed_places_is_refused_before_anything_is_touched(guarded, places, uri):
    url, listener, redirects, web = guarded
    uri = uri.format(places=places, listener=listener.port, web=web)
    jobs_before, asked_before = _jobs(url), list(redirects.paths)
    message = _refused(url, {"corpus_uri": uri}, "corpus_uri")
    assert "the secret" not in message and str(places / "outside") not in message.replace(uri, "")
    assert listener.connections == 0  # nothing connected to the refused place, directly or by redirect
    assert _jobs(url) == jobs_before  # no job was created
    new = redirects.paths[len(asked_before):]
    assert new == ([uri.removeprefix(web)] if uri.startswith(f"{web}/c/to-") else [])  # only the allowed first hop


@pytest.mark.parametrize("uri", ["{places}/outside/out.jsonl", "{places}/out/../outside/out.jsonl", "/etc/medici.jsonl",
                                 "{places}/out", "{places}/allowed/out.jsonl", "s3://corpora/in/out.jsonl"])
def test_results_outside_the_writable_places_are_refused_and_nothing_is_written(guarded, places, uri):
    url = guarded[0]
    uri = uri.format(places=places)
    before = sorted(p.name for p in places.rglob("*"))
    _refused(url, {"documents": DOCS, "output_uri": uri}, "output_uri")
    assert sorted(p.name for p in places.rglob("*")) == before


def test_the_refusal_does_not_tell_whether_the_file_exists(guarded, places):
    url = guarded[0]
    there = _refused(url, {"corpus_uri": str(places / "outside" / "secret.jsonl")}, "corpus_uri")
    missing = _refused(url, {"corpus_uri": str(places / "outside" / "nosuch.jsonl")}, "corpus_uri")
    assert there.replace("secret", "X") == missing.replace("nosuch", "X")


def test_allowed_s3_prefixes_are_read_and_written_on_the_loopback_s3(guarded, s3):
    url = guarded[0]
    _, client = s3
    submitted = httpx.post(f"{url}/v1/topics/jobs", json={"corpus_uri": "s3://corpora/in/corpus.jsonl",
                                                          "output_uri": "s3://corpora/out/run.jsonl"}, timeout=120)
    assert submitted.status_code == 202, submitted.text
    job = _until_finished(url, submitted.json()["id"])
    assert job["state"] == "done", job
    assert sorted(d["id"] for d in job["result"]["documents"]) == ["p1", "p2"]
    lines = client.get_object(Bucket="corpora", Key="out/run.jsonl")["Body"].read().decode().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == ["p1", "p2"]


def test_an_allowed_redirect_is_followed_and_the_job_reads_where_it_ends(guarded, places):
    url, listener, redirects, web = guarded
    submitted = httpx.post(f"{url}/v1/topics/jobs", json={"corpus_uri": f"{web}/c/hop"}, timeout=120)
    assert submitted.status_code == 202, submitted.text
    job = _until_finished(url, submitted.json()["id"])
    assert job["state"] == "done" and job["source"] == f"{web}/c/corpus.jsonl", job
    assert sorted(d["id"] for d in job["result"]["documents"]) == ["p1", "p2"]
    local = httpx.post(f"{url}/v1/topics/jobs", json={"corpus_uri": str(places / "allowed" / "corpus.jsonl")},
                       timeout=120)
    assert local.status_code == 202, local.text
    assert listener.connections == 0
