"""`GET /healthz`: 200 once the model answers, 503 while it loads or is gone."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deployments.api.errors import error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", responses=error_responses(503))
async def healthz(request: Request) -> JSONResponse:
    services = request.app.state.services
    try:
        info = await asyncio.wait_for(services.llm.ready.remote(), services.settings.health_timeout_s)
    except Exception:  # noqa: BLE001 - any failure to answer means "not ready"
        body = {"status": "unavailable", "error": {"message": "the model is not ready", "type": "service_unavailable",
                                                    "param": None, "code": "model_not_ready"}}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok", **info})
