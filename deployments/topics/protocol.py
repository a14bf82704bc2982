"""Request models of the topic routes; they cross the ingress -> TopicPipeline boundary as dicts."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

    documents: list[TopicDocument] = Field(..., min_length=1)
    _ids = field_validator("documents")(classmethod(lambda cls, v: _unique_ids(v)))


class EvaluateRequest(_Common):
    """`POST /v1/topics/evaluate`."""

    documents: list[LabelledDocument] = Field(..., min_length=1)
    _ids = field_validator("documents")(classmethod(lambda cls, v: _unique_ids(v)))
