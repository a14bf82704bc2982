"""Request models of the topic routes; they cross the ingress -> TopicPipeline boundary as dicts."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from deployments.topics.domain import Domain
from deployments.validation import NonBlankStr


class TopicDocument(BaseModel):
    # Extra fields (e.g. `human_topics` of a labelled corpus) are ignored, so one file serves both routes.
    model_config = ConfigDict(extra="ignore")

    id: str = Field(..., min_length=1, max_length=200, description="The caller's document id, unique per request.")
    text: NonBlankStr = Field(..., min_length=1, max_length=20_000, description="The document text.")
    timestamp: dt.datetime | None = Field(None, description="ISO 8601; without a zone it is read as UTC.")

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class CorpusDocument(TopicDocument):
    """A document of a corpus or a job: `human_topics` optional; the documents that carry them are scored."""

    human_topics: list[str] | None = Field(None, max_length=20, description="The experts' topics, the primary one "
                                           "first; documents without them are analysed but not scored.")

    @field_validator("human_topics")
    @classmethod
    def _topics(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None  # an empty list: not labelled
        cleaned = [t.strip() for t in value if t.strip()]
        if not cleaned:
            raise ValueError("human_topics needs at least one non-blank topic")
        return cleaned


def field_message(error: dict) -> str:
    """One pydantic error in the caller's words: "field `text` is required", never a class name."""
    loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)] or ["document"]
    name = loc[-1] if loc[-1] in CorpusDocument.model_fields else ".".join(loc)
    if error.get("type") == "missing":
        return f"field `{name}` is required"
    if error.get("type") == "model_type" or name == "document":
        return "a document must be a JSON object with `id` and `text`"
    if error.get("type") == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        return f"field `{name}` must not be empty"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"field `{name}`: {message[0].lower() + message[1:] if message else 'invalid'}"


def document_problem(raw: object) -> tuple[dict | None, str | None]:
    """`raw` validated as a `CorpusDocument` (JSON-ready), or None and what is wrong with it."""
    try:
        return CorpusDocument.model_validate(raw).model_dump(mode="json"), None
    except ValidationError as exc:
        return None, field_message(exc.errors()[0])


def unique_document(raw: object, number: int, seen: dict[str, int], what: str) -> tuple[dict | None, str | None]:
    """`document_problem`, plus a repeated id: `seen` maps each id to the 1-based `what` ("line", "document")
    that first held it, and is updated here. One rule for files and inline documents alike."""
    doc, problem = document_problem(raw)
    if doc is not None and doc["id"] in seen:
        problem = f"id {doc['id']!r} repeats {what} {seen[doc['id']]}"
    if problem:
        return None, problem
    seen[doc["id"]] = number
    return doc, None


MAX_NAMED_PROBLEMS = 5  # bad lines or documents named in one message; all are counted


def problems_message(problems: list[dict], what: str, where: str, hint: str = "") -> str:
    """"3 bad lines in news.jsonl: line 2: field `text` is required; ...", the first few named."""
    named = "; ".join(f"{what} {p['line']}: {p['message']}" for p in problems[:MAX_NAMED_PROBLEMS])
    more = f"; and {len(problems) - MAX_NAMED_PROBLEMS} more" if len(problems) > MAX_NAMED_PROBLEMS else ""
    count = f"{len(problems)} bad {what}{'s' if len(problems) != 1 else ''}"
    return f"{count}{f' in {where}' if where else ''}: {named}{more}.{hint}"


def check_documents(documents: list) -> list[dict]:
    """Inline documents validated one by one: a 400 message counts the bad ones and names each by its
    1-based position and field ("document 2: field `text` is required"), and repeated ids."""
    if not isinstance(documents, list):
        raise PydanticCustomError("documents", "`documents` must be a list of documents")
    checked, problems, seen = [], [], {}
    for number, raw in enumerate(documents, 1):
        doc, problem = unique_document(raw, number, seen, "document")
        if problem:
            problems.append({"line": number, "message": problem})
            continue
        checked.append(doc)
    if problems:
        raise PydanticCustomError("documents", problems_message(problems, "document", ""))
    return checked


class LabelledDocument(TopicDocument):
    human_topics: list[str] = Field(..., min_length=1, max_length=20,
                                    description="The experts' topics, the primary one first.")

    @field_validator("human_topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        cleaned = [t.strip() for t in value if t.strip()]
        if not cleaned:
            raise ValueError("human_topics needs at least one non-blank topic")
        return cleaned


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: Literal["day", "week", "month"] = Field("month", description="Trend window.")
    taxonomy: list[str] | None = Field(None, min_length=1, max_length=500,
                                       description="Expert categories to map topics onto.")
    domain: Domain | None = Field(None, description="Labelling instruction and examples; None: the deployment's.")

    @field_validator("taxonomy")
    @classmethod
    def _categories(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not c.strip() for c in value):
            raise ValueError("taxonomy categories must not be blank")
        return value


def _unique_ids(documents: list[TopicDocument]) -> list:
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("document ids must be unique")
    return documents


class TopicsRequest(_Common):
    """`POST /v1/topics` and `POST /v1/topics/chart`."""

    documents: list[dict] = Field(..., min_length=1, description="Documents (id, text, timestamp?); a bad one is "
                                  "a 400 naming its 1-based position and field.")
    _checked = field_validator("documents", mode="before")(classmethod(lambda cls, v: check_documents(v)))


class EvaluateRequest(_Common):
    """`POST /v1/topics/evaluate`: every document is analysed; those with `human_topics` (at least one)
    are scored."""

    documents: list[dict] = Field(..., min_length=1, description="Documents as for /v1/topics, with "
                                  "`human_topics` on those to score.")
    _checked = field_validator("documents", mode="before")(classmethod(lambda cls, v: check_documents(v)))

    @field_validator("documents")
    @classmethod
    def _some_labelled(cls, documents: list[dict]) -> list[dict]:
        if not any(d.get("human_topics") for d in documents):
            raise PydanticCustomError("documents", NO_LABELS)
        return documents


NO_LABELS = "no document has `human_topics`, so there are no metrics and no vibe check"


def evaluation_summary(documents: list[dict]) -> dict:
    """How many documents the metrics and the vibe check are on: {"labelled", "total", "summary", "reason"}."""
    labelled, total = sum(1 for d in documents if d.get("human_topics")), len(documents)
    return {"labelled": labelled, "total": total,
            "summary": f"on {labelled} of {total} labelled documents" if labelled else None,
            "reason": None if labelled else NO_LABELS}
