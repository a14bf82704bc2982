"""Topic routes: thin, they validate, call the TopicPipeline handle and map the result.

A job that names a URI (`corpus_uri`, `output_uri`) needs the admin key and a URI inside the operator's
allow-lists (`security.uris`), both checked here, before the job exists or anything is read or written.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from deployments.api.auth import require_admin
from deployments.api.calls import call, call_read
from deployments.security.uri_policy import allowed_uri
from deployments.topics.jobs import AssignRequest, JobRequest
from deployments.topics.protocol import EvaluateRequest, TopicsRequest

router = APIRouter(tags=["topics"])

_ERRORS = {400: {"description": "Invalid request"}, 413: {"description": "Too many documents"},
           503: {"description": "Model not ready"}, 504: {"description": "Labelling timed out"}}


def _topics(request: Request):
    return request.app.state.services.topics


@router.post("/v1/topics", responses=_ERRORS)
async def topics(body: TopicsRequest, request: Request) -> dict:
    return await call(_topics(request).topics.remote(body.model_dump(mode="json")))


@router.post("/v1/topics/chart", responses={**_ERRORS, 200: {"content": {"image/png": {}}}},
             response_class=Response)
async def topics_chart(body: TopicsRequest, request: Request) -> Response:
    png = await call(_topics(request).chart.remote(body.model_dump(mode="json")))
    return Response(content=png, media_type="image/png")


@router.post("/v1/topics/evaluate", responses=_ERRORS)
async def topics_evaluate(body: EvaluateRequest, request: Request) -> dict:
    return await call(_topics(request).evaluate.remote(body.model_dump(mode="json")))


_JOB_ERRORS = {400: {"description": "Invalid request, or a URI outside security.uris"},
               403: {"description": "A URI needs the admin key"}, 404: {"description": "No such job"},
               413: {"description": "Too many documents"}}
_URI_FIELDS = {"corpus_uri": False, "output_uri": True}  # field -> written to


@router.post("/v1/topics/jobs", responses=_JOB_ERRORS, status_code=202)
async def submit_topic_job(body: JobRequest, request: Request) -> dict:
    """A topic run as a job: stored, then answered with its id at once; poll GET /v1/topics/jobs/{id}."""
    payload = body.model_dump(mode="json", exclude_none=True)
    policy = request.app.state.services.security.uris
    for field, write in _URI_FIELDS.items():
        if field in payload:
            require_admin(request, f"a topic job that names `{field}`")
            payload[field] = await allowed_uri(payload[field], field, policy, write=write)
    return await call(_topics(request).submit_job.remote(payload))


@router.get("/v1/topics/jobs", responses=_JOB_ERRORS)
async def list_topic_jobs(request: Request) -> dict:
    return await call_read(lambda: _topics(request).list_jobs.remote())


@router.get("/v1/topics/jobs/{job_id}", responses=_JOB_ERRORS)
async def topic_job(job_id: str, request: Request) -> dict:
    return await call_read(lambda: _topics(request).job.remote(job_id))


@router.get("/v1/topics/jobs/{job_id}/chart", responses={**_JOB_ERRORS, 409: {"description": "Job not done"},
                                                          200: {"content": {"image/png": {}}}},
            response_class=Response)
async def topic_job_chart(job_id: str, request: Request) -> Response:
    png = await call_read(lambda: _topics(request).job_chart.remote(job_id))
    return Response(content=png, media_type="image/png")


@router.post("/v1/topics/assign", responses={**_JOB_ERRORS, 409: {"description": "Job not done"}})
async def assign_to_saved_topics(body: AssignRequest, request: Request) -> dict:
    """New documents placed on a finished job's saved topics by text embedding: no relabelling."""
    return await call(_topics(request).assign.remote(body.model_dump(mode="json")))
