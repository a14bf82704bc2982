"""`POST /v1/experiments`: thin, it validates, calls the TopicPipeline handle and maps the result."""

from __future__ import annotations

from fastapi import APIRouter, Request

from deployments.api.calls import call
from deployments.api.errors import error_responses
from deployments.topics.experiment import ExperimentRequest

router = APIRouter(tags=["topics"])


@router.post("/v1/experiments", responses=error_responses(400, 401, 404, 413, 503, 504))
async def experiments(body: ExperimentRequest, request: Request) -> dict:
    """Prompts x models x temperatures over labelled documents: one row of topic metrics per cell."""
    topics = request.app.state.services.topics
    return await call(topics.experiment.remote(body.model_dump(mode="json")))
