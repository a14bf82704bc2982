"""The pipeline is wired into the app: settings in AppArgs, routes in the FastAPI app (no Ray started)."""

import pytest
from pydantic import ValidationError

from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.builder import AppArgs, build_app


def test_app_args_take_topic_settings_and_reject_unknown_ones():
    assert AppArgs.model_validate({"topics": {"max_labels": 2}}).topics.max_labels == 2
    with pytest.raises(ValidationError):
        AppArgs.model_validate({"topics": {"max_lables": 2}})
    assert build_app({"topics": {"merge_threshold": 0.8}}) is not None


def test_topic_routes_are_mounted():
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=None, embedder=None, topics=None))
    paths = set(app.openapi()["paths"])
    assert {"/v1/topics", "/v1/topics/chart", "/v1/topics/evaluate", "/v1/topics/jobs", "/v1/topics/jobs/{job_id}",
            "/v1/topics/jobs/{job_id}/chart", "/v1/topics/assign"} <= paths
