"""`GET /healthz`: 200 once the model and the document store answer, 503 while either is not ready, saying why."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deployments.api.errors import error_responses

router = APIRouter(tags=["health"])
logger = logging.getLogger("ray.serve")


@router.get("/healthz", responses=error_responses(503))
async def healthz(request: Request) -> JSONResponse:
    services = request.app.state.services
    timeout_s = services.settings.health_timeout_s
    try:
        info = await asyncio.wait_for(services.llm.ready.remote(), timeout_s)
    except Exception:  # noqa: BLE001 - any failure to answer means "not ready"
        return _unavailable("the model is not ready", "model_not_ready")
    if services.documents is not None:
        try:
            info = {**info, **await asyncio.wait_for(services.documents.ready.remote(), timeout_s)}
        except Exception:  # noqa: BLE001
            reason = await asyncio.to_thread(_deployment_problem, "DocumentStore")
            return _unavailable(f"the document store is not ready{': ' + reason if reason else ''}",
                                "documents_not_ready")
    return JSONResponse({"status": "ok", **info})


def _unavailable(message: str, code: str) -> JSONResponse:
    body = {"status": "unavailable", "error": {"message": message, "type": "service_unavailable", "param": None,
                                               "code": code}}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


def _deployment_problem(name: str) -> str | None:
    """Why Serve cannot start deployment ``name``: the last line of its status message (the exception a
    replica's constructor raised, e.g. a database that cannot be opened), or None when it has none."""
    try:
        from ray import serve

        for application in serve.status().applications.values():
            deployment = application.deployments.get(name)
            if deployment is not None and deployment.message:
                lines = [line.strip() for line in deployment.message.strip().splitlines() if line.strip()]
                errors = [line for line in lines if "Error:" in line]
                return (errors or lines)[-1][:500]
    except Exception as exc:  # noqa: BLE001 - health must answer even when the controller does not
        logger.warning("could not read the status of %s: %s", name, exc)
    return None
