"""Document routes: upsert, get, list, delete, search. Thin: validate, call the DocumentStore handle, map."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments import errors
from deployments.api.calls import call, call_read
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

    id: str = Field(..., min_length=1, max_length=MAX_ID_LENGTH,
                    description="Re-adding an id replaces the document (counted as `updated`).")
    text: NonBlankStr = Field(..., min_length=1, description="The text that is embedded and indexed.")
    metadata: dict[str, Any] | None = Field(
        None, description="Stored and returned as given; top-level string, number, boolean or null values can be "
        "used in a search or browse `filter`. Left out of an update, the stored metadata is kept; `null` clears it.")


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
    added_at: str | None = Field(None, description="When the id was first stored (ISO 8601, UTC); null for a "
                                 "document stored before this was recorded. Kept when the document is replaced.")
    updated_at: str | None = Field(None, description="When the document was last written (ISO 8601, UTC).")


class SearchResult(BaseModel):
    id: str
    text: str
    metadata: dict[str, Any]
    score: float


class SearchResponse(BaseModel):
    results: list[SearchResult]


class AddDocumentsResponse(BaseModel):
    added: int = Field(..., description="Ids that were not stored before.")
    updated: int = Field(..., description="Ids that were stored and are now replaced.")
    total: int = Field(..., description="Documents in the store after the write.")
    updated_ids: list[str] = Field(default_factory=list, description="The replaced ids.")


class DocumentPage(BaseModel):
    documents: list[StoredDocument]
    total: int = Field(..., description="Documents that match the filter (and `ids`), on every page.")
    limit: int
    offset: int
    order: str = "id"


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
    """Upsert: an id already stored is replaced. The reply comes once every document is committed, and
    counts the new ids (`added`) apart from the replaced ones (`updated`)."""
    # exclude_unset: a document without `metadata` keeps its stored metadata; an explicit null clears it
    payload = [doc.model_dump(mode="json", exclude_unset=True) for doc in body.documents]
    return await call(_store(request).add.remote(payload))


def _browse_filter(text: str | None) -> dict[str, FilterValue] | None:
    """The browse `filter` query parameter: a JSON object of top-level metadata key: value pairs."""
    if text is None or not text.strip():
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        raise errors.bad_request('filter must be a JSON object such as {"lang": "en"}', param="filter") from None
    if not isinstance(parsed, dict):
        raise errors.bad_request('filter must be a JSON object such as {"lang": "en"}', param="filter")
    return parsed


@router.get("/v1/documents", responses=_ERRORS)
async def list_documents(
    request: Request,
    limit: int = Query(20, ge=0, le=MAX_PAGE, description=f"Documents per page, 0 to {MAX_PAGE}."),
    offset: int = Query(0, ge=0, le=2**31 - 1),
    filter: str | None = Query(None, max_length=4000, description='Metadata key: value pairs as a JSON object, '
                               'e.g. {"lang": "en"}: only documents whose metadata has all of them.'),
    order: str = Query("id", description="id: by id, A to Z; added: the most recently added first."),
    ids: list[str] | None = Query(None, max_length=MAX_PAGE, description="Only these ids (repeat the parameter): "
                                  "which of them are stored."),
) -> DocumentPage:
    """A page of stored documents with their metadata and the time they were added, and how many match."""
    return await call_read(lambda: _store(request).page.remote(limit, offset, _browse_filter(filter), order, ids))


@router.post("/v1/documents/search", responses=_ERRORS)
async def search_documents(body: SearchRequest, request: Request) -> SearchResponse:
    results = await call_read(lambda: _store(request).search.remote(body.query, body.k, body.mode, body.filter))
    return SearchResponse(results=results)


@router.get("/v1/documents/{doc_id:path}", responses=_ERRORS_404)
async def get_document(request: Request, doc_id: str = Path(..., description="The document's id.")) -> StoredDocument:
    document = await call_read(lambda: _store(request).get.remote(_check_id(doc_id)))
    if document is None:
        raise errors.not_found(f"no document with id {doc_id!r}", code="document_not_found")
    return document


@router.delete("/v1/documents/{doc_id:path}", responses=_ERRORS_404)
async def delete_document(request: Request,
                          doc_id: str = Path(..., description="The document's id.")) -> DeletedDocument:
    return await call(_store(request).delete.remote(_check_id(doc_id)))
