"""OpenAI-compatible routes: thin, they validate, call the LLMServer handle and map the result."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from deployments.api.calls import call, open_stream
from deployments.llm.protocol import ChatCompletionRequest, CompletionRequest

router = APIRouter(tags=["openai"])

_ERRORS = {400: {"description": "Invalid request"}, 404: {"description": "Unknown model"},
           503: {"description": "Model not ready"}, 504: {"description": "Generation timed out"}}


def _llm(request: Request, model: str | None = None):
    return request.app.state.services.llm_for(model)


@router.get("/v1/models")
async def list_models(request: Request) -> dict:
    services = request.app.state.services
    handles = [services.llm, *services.extra_llms.values()]
    lists = await asyncio.gather(*(call(handle.models.remote()) for handle in handles))
    return {"object": "list", "data": [card for cards in lists for card in cards]}


@router.post("/v1/completions", responses=_ERRORS)
async def completions(body: CompletionRequest, request: Request):
    payload = body.model_dump(mode="json")
    if body.stream:
        return await open_stream(_llm(request, body.model).options(stream=True).completions_stream.remote(payload))
    return await call(_llm(request, body.model).completions.remote(payload))


@router.post("/v1/chat/completions", responses=_ERRORS)
async def chat_completions(body: ChatCompletionRequest, request: Request):
    payload = body.model_dump(mode="json")
    if body.stream:
        return await open_stream(_llm(request, body.model).options(stream=True).chat_stream.remote(payload))
    return await call(_llm(request, body.model).chat.remote(payload))
