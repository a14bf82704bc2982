"""OpenAI-compatible routes: thin, they validate, call the LLMServer handle and map the result."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from deployments import errors
from deployments.api.calls import call, open_stream
from deployments.api.embeddings_format import EmbeddingRequest, embedding_response
from deployments.api.errors import error_responses
from deployments.llm.protocol import ChatCompletionRequest, CompletionRequest

router = APIRouter(tags=["openai"])

_SSE_EVENT = {"type": "object", "required": ["data"],  # one event; `data` is a JSON chunk, or [DONE] last
              "properties": {"data": {"type": "string"}}}
_ERRORS = {
    200: {"description": "OpenAI response; with `stream` true, server-sent events",
          "content": {"text/event-stream": {"schema": _SSE_EVENT}}},
    **error_responses(400, 401, 404, 413, 429, 503, 504),
}


def _llm(request: Request, model: str | None = None):
    return request.app.state.services.llm_for(model)


def _deadline(request: Request) -> float | None:
    return request.app.state.services.settings.request_timeout_s


@router.get("/v1/models", responses=error_responses(401, 503, 504))
async def list_models(request: Request) -> dict:
    """Every served model, as vLLM lists them: the LLMs (the default first), then the embedder, each card
    saying what it serves (``task``: generate or embed)."""
    services = request.app.state.services
    handles = [services.llm, *services.extra_llms.values(), *([services.embedder] if services.embedder else [])]
    lists = await asyncio.gather(*(call(handle.models.remote()) for handle in handles))
    return {"object": "list", "data": [card for cards in lists for card in cards]}


@router.post("/v1/completions", responses=_ERRORS)
async def completions(body: CompletionRequest, request: Request):
    payload = body.model_dump(mode="json")
    if body.stream:
        return await open_stream(_llm(request, body.model).options(stream=True).completions_stream.remote(payload),
                                 _deadline(request))
    return await call(_llm(request, body.model).completions.remote(payload), _deadline(request))


@router.post("/v1/chat/completions", responses=_ERRORS)
async def chat_completions(body: ChatCompletionRequest, request: Request):
    payload = body.model_dump(mode="json")
    if body.stream:
        return await open_stream(_llm(request, body.model).options(stream=True).chat_stream.remote(payload),
                                 _deadline(request))
    return await call(_llm(request, body.model).chat.remote(payload), _deadline(request))


@router.post("/v1/embeddings", responses=error_responses(400, 401, 404, 413, 429, 503, 504))
async def embeddings(body: EmbeddingRequest, request: Request) -> dict:
    """OpenAI embeddings through the Embedder deployment (the one the document store uses)."""
    result = await call(request.app.state.services.embedder.embed_counted.remote(body.input), _deadline(request))
    if body.model not in (None, result["model"]):
        raise errors.not_found(f"model '{body.model}' does not exist; the embedder is '{result['model']}'",
                               code="model_not_found")
    if body.dimensions not in (None, result["dimension"]):
        raise errors.bad_request(f"dimensions must be {result['dimension']} (this model's own)", param="dimensions")
    return embedding_response(result["vectors"], result["model"], body.encoding_format, result["tokens"])
