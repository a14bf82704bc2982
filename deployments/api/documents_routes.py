"""Document routes: upsert, get, list, delete, search. Thin: validate, call the DocumentStore handle, map."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments import errors
from deployments.api.calls import call
from deployments.api.errors import error_responses
from deployments.validation import NonBlankStr

router = APIRouter(tags=["documents"])

MAX_DOCUMENTS_PER_REQUEST = 10_000
MAX_K = 100
MAX_PAGE = 1000
MAX_ID_LENGTH = 256
_ERRORS = error_responses(400, 503)
_ERRORS_404 = error_responses(400, 404, 503)

FilterValue = str | int | float | bool | None


class _ValidUnicode(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        """JSON's \\ud800 escapes allow lone surrogates, which no database or reply can encode: 400 here."""
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the body holds text that is not valid Unicode (a lone UTF-16 surrogate)") from None
        except (TypeError, ValueError):
            pass  # not JSON-shaped: the field validators say what is wrong
        return data


class Document(_ValidUnicode):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(..., min_length=1, max_length=MAX_ID_LENGTH, description="Re-adding an id replaces the document.")
    text: NonBlankStr = Field(..., min_length=1, description="The text that is embedded and indexed.")
    metadata: dict[str, Any] | None = Field(
        None, description="Stored and returned as given; top-level string, number, boolean or null values can be "
        "used in a search `filter`.")


class AddDocumentsRequest(_ValidUnicode):
    model_config = ConfigDict(extra="forbid")

    documents: list[Document] = Field(..., min_length=1, max_length=MAX_DOCUMENTS_PER_REQUEST)


class SearchRequest(_ValidUnicode):
    model_config = ConfigDict(extra="forbid")

    query: NonBlankStr = Field(..., min_length=1, max_length=2000)
    k: int = Field(5, ge=1, le=MAX_K, description=f"Results to return, 1 to {MAX_K}.")
    mode: Literal["semantic", "keyword", "hybrid"] = Field(
        "hybrid", description="semantic: MiniLM cosine; keyword: BM25; hybrid: both fused by reciprocal rank fusion."
    )
    filter: dict[str, FilterValue] | None = Field(
        None, description="Only documents whose metadata has every one of these top-level key: value pairs.")


class StoredDocument(BaseModel):
    id: str
    text: str
    metadata: dict[str, Any]


class SearchResult(StoredDocument):
    score: float


class SearchResponse(BaseModel):
    results: list[SearchResult]


class AddDocumentsResponse(BaseModel):
    added: int
    total: int


class DocumentPage(BaseModel):
    documents: list[StoredDocument]
    total: int
    limit: int
    offset: int


class DeletedDocument(BaseModel):
    id: str
    deleted: bool


def _store(request: Request):
    return request.app.state.services.documents


def _check_id(doc_id: str) -> str:
    if not doc_id or len(doc_id) > MAX_ID_LENGTH:
        raise errors.bad_request(f"a document id has 1 to {MAX_ID_LENGTH} characters", param="id")
    return doc_id


@router.post("/v1/documents", responses=_ERRORS)
async def add_documents(body: AddDocumentsRequest, request: Request) -> AddDocumentsResponse:
    """Upsert: an id already stored is replaced. The reply comes once every document is committed."""
    payload = [doc.model_dump(mode="json") for doc in body.documents]
    return await call(_store(request).add.remote(payload))


@router.get("/v1/documents", responses=_ERRORS)
async def list_documents(request: Request, limit: int = Query(20, ge=0, le=MAX_PAGE),
                         offset: int = Query(0, ge=0, le=2**31 - 1)) -> DocumentPage:
    """A page of stored documents with their metadata, and how many there are in all."""
    return await call(_store(request).page.remote(limit, offset))


@router.post("/v1/documents/search", responses=_ERRORS)
async def search_documents(body: SearchRequest, request: Request) -> SearchResponse:
    results = await call(_store(request).search.remote(body.query, body.k, body.mode, body.filter))
    return SearchResponse(results=results)


@router.get("/v1/documents/{doc_id:path}", responses=_ERRORS_404)
async def get_document(request: Request, doc_id: str = Path(..., description="The document's id.")) -> StoredDocument:
    document = await call(_store(request).get.remote(_check_id(doc_id)))
    if document is None:
        raise errors.not_found(f"no document with id {doc_id!r}", code="document_not_found")
    return document


@router.delete("/v1/documents/{doc_id:path}", responses=_ERRORS_404)
async def delete_document(request: Request,
                          doc_id: str = Path(..., description="The document's id.")) -> DeletedDocument:
    return await call(_store(request).delete.remote(_check_id(doc_id)))
