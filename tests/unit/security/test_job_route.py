"""`POST /v1/topics/jobs` applies the allow-lists before the TopicPipeline is called (the real FastAPI app, a fake
handle); no Ray."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.security.keys import Keys
from deployments.security.settings import SecuritySettings
from tests.unit.fakes import HandleMethod


def client_for(tmp_path) -> tuple[TestClient, HandleMethod]:
    submit = HandleMethod(lambda payload: {"id": "job-1", "state": "queued", "request": payload})
    topics = type("Topics", (), {"submit_job": submit})()
    security = SecuritySettings(uris={"read": [str(tmp_path / "in")], "write": [str(tmp_path / "out")]})
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=None, embedder=None, topics=topics,
                                     security=security, keys=Keys()))
    return TestClient(app, raise_server_exceptions=False), submit


def test_a_refused_uri_never_reaches_the_pipeline(tmp_path):
    client, submit = client_for(tmp_path)
    for body in ({"corpus_uri": "/etc/passwd"}, {"corpus_uri": f"{tmp_path}/in/../x.jsonl"},
                 {"documents": [{"id": "a", "text": "t"}], "output_uri": f"{tmp_path}/in/out.jsonl"}):
        response = client.post("/v1/topics/jobs", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "uri_not_allowed"
    assert submit.calls == []


def test_allowed_uris_and_inline_documents_are_submitted_as_given(tmp_path):
    client, submit = client_for(tmp_path)
    corpus, out = f"{tmp_path}/in/c.jsonl", f"{tmp_path}/out/run.jsonl"
    assert client.post("/v1/topics/jobs", json={"corpus_uri": corpus, "output_uri": out}).status_code == 202
    assert client.post("/v1/topics/jobs", json={"documents": [{"id": "a", "text": "t"}]}).status_code == 202
    assert [(c[0].get("corpus_uri"), c[0].get("output_uri")) for c in submit.calls] == [(corpus, out), (None, None)]
