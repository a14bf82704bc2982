"""Document routes: bulk add and search. Thin: validate, call the DocumentStore handle, map."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from deployments.api.calls import call
from deployments.validation import NonBlankStr

router = APIRouter(tags=["documents"])

MAX_DOCUMENTS_PER_REQUEST = 10_000
MAX_K = 100
_ERRORS = {400: {"description": "Invalid request"}, 503: {"description": "Store not ready"}}


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(..., min_length=1, max_length=256, description="Re-adding an id replaces the document.")
    text: NonBlankStr = Field(..., min_length=1, description="The text that is embedded and indexed.")
    metadata: dict[str, Any] | None = Field(None, description="Stored and returned as given.")


class AddDocumentsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[Document] = Field(..., min_length=1, max_length=MAX_DOCUMENTS_PER_REQUEST)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: NonBlankStr = Field(..., min_length=1, max_length=2000)
    k: int = Field(5, ge=1, le=MAX_K, description=f"Results to return, 1 to {MAX_K}.")
    mode: Literal["semantic", "keyword", "hybrid"] = Field(
        "hybrid", description="semantic: MiniLM cosine; keyword: BM25; hybrid: both fused by reciprocal rank fusion."
    )


def _store(request: Request):
    return request.app.state.services.documents


@router.post("/v1/documents", responses=_ERRORS)
async def add_documents(body: AddDocumentsRequest, request: Request) -> dict:
    payload = [doc.model_dump(mode="json") for doc in body.documents]
    return await call(_store(request).add.remote(payload))


@router.post("/v1/documents/search", responses=_ERRORS)
async def search_documents(body: SearchRequest, request: Request) -> dict:
    results = await call(_store(request).search.remote(body.query, body.k, body.mode))
    return {"results": results}
