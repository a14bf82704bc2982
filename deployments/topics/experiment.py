"""Prompts x models x temperatures over a labelled topic set, reduced to one table of topic metrics.

The prompt-tuning loop ("vibe check + offline metric") as one call: every cell (a prompt, a model,
a temperature) labels every document, all cells at once through
`deployments.parallel.map_actions_and_states`, so the LLM replicas batch across cells; then each
cell is canonicalized and scored by the pipeline's own `assemble` and `evaluation` (`evaluation.score`,
`vibe_rows`, `markdown`), as `POST /v1/topics/evaluate` scores its labels. A cell that fails is reported in its row; only when
every cell fails is the first error raised, so a 503 or 504 of the LLM reaches the caller as such.

    python -m cli.topics_experiment --url http://127.0.0.1:8000 --corpus data/art_corpus.jsonl \\
        --prompts few_shot_list,zero_shot --temperatures 0,0.7 [--models a,b] [--limit N] [--out run.json]
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any, Awaitable, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deployments.llm.client import LLMClient
from deployments.parallel import Limits, Outcome, map_actions_and_states, raisable
from deployments.topics.labeling import LABELLING, PromptLabeler, failure_message, reduce_labels
from deployments.topics.prompts import BUILT_IN, check_template, prompt_builder
from deployments.topics.domain import Domain
from deployments.topics.protocol import LabelledDocument, _unique_ids
from deployments.topics.settings import TopicSettings

METRICS = ("label_precision", "label_recall", "label_f1", "rdp", "nmi", "ari", "trend_agreement")


class PromptSpec(BaseModel):
    """A built-in prompt by name, or a custom `template` (then `name` only labels its row)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                      description=f"Built in: {', '.join(BUILT_IN)}; or any name for a custom template.")
    template: str | None = Field(None, min_length=1, max_length=4000,
                                 description="str.format text with {text} (required) and {max_labels}.")

    @field_validator("template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else check_template(value)

    @model_validator(mode="after")
    def _known(self) -> "PromptSpec":
        prompt_builder(self.name, self.template)  # an unknown built-in name raises ValueError -> 400
        return self


def _distinct(value: list | None, what: str) -> list | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError(f"{what} must be distinct")
    return value


class ExperimentRequest(BaseModel):
    """`POST /v1/experiments`: the cartesian product of `prompts`, `models` and `temperatures`."""

    model_config = ConfigDict(extra="forbid")

    documents: list[LabelledDocument] = Field(..., min_length=1, description="As for /v1/topics/evaluate.")
    prompts: list[PromptSpec] = Field(default_factory=lambda: [PromptSpec(name="few_shot_list")],
                                      min_length=1, max_length=16)
    models: list[str] | None = Field(None, min_length=1, max_length=16,
                                     description="Served model names; None: the pipeline's own LLM.")
    temperatures: list[float] = Field(default_factory=lambda: [0.0], min_length=1, max_length=16)
    window: Literal["day", "week", "month"] = Field("month", description="Trend window.")
    domain: Domain | None = Field(None, description="Instruction and examples the built-in prompts are filled "
                                  "with; None: the deployment's.")
    max_tokens: int | None = Field(None, ge=4, le=256, description="Per labelling completion; None: the setting.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Sent with temperatures above 0, for repeatability.")

    _ids = field_validator("documents")(classmethod(lambda cls, v: _unique_ids(v)))

    @field_validator("prompts")
    @classmethod
    def _prompt_names(cls, value: list[PromptSpec]) -> list[PromptSpec]:
        _distinct([p.name for p in value], "prompt names")
        return value

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not m.strip() or len(m) > 200 for m in value):
            raise ValueError("model names must be non-blank, at most 200 characters")
        return _distinct(value, "models")

    @field_validator("temperatures")
    @classmethod
    def _temperatures(cls, value: list[float]) -> list[float]:
        if any(not 0.0 <= t <= 2.0 for t in value):
            raise ValueError("temperatures must be between 0 and 2")
        return _distinct(value, "temperatures")

    def cell_count(self) -> int:
        return len(self.prompts) * len(self.models or [None]) * len(self.temperatures)


@dataclasses.dataclass
class _Cell:
    prompt: PromptSpec
    model: str | None
    temperature: float
    client: "_SeenModel"

    @property
    def key(self) -> str:
        return f"{self.prompt.name}|{self.model}|{self.temperature:g}"


class _SeenModel:
    """An LLMClient that remembers the `model` its responses name: the row of the default model shows it."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.model: str | None = None

    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.complete(request)
        self.model = self.model or response.get("model")
        return response

    async def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self.client.chat(request)


Assemble = Callable[[list[dict], list[list[str]], str], Awaitable[dict]]  # (documents, labels, window) -> result
Evaluate = Callable[[list[dict], dict, str], Awaitable[dict]]  # (documents, result, window) -> metrics, vibe_check, markdown


async def run_experiment(request: ExperimentRequest, clients: dict[str | None, LLMClient], settings: TopicSettings,
                         assemble: Assemble, evaluate: Evaluate) -> dict:
    """Every cell over every document, then the table. `clients` maps each of `request.models`
    (None: the default model) to its LLMClient; the caller has checked that every name exists.
    `assemble` and `evaluate` are the pipeline's own, so a cell is scored exactly as
    `/v1/topics/evaluate` would score the same labels."""
    started = time.perf_counter()
    documents = [d.model_dump(mode="json") for d in request.documents]
    seen = {model: _SeenModel(client) for model, client in clients.items()}
    cells = [_Cell(prompt, model, temperature, seen[model])
             for prompt in request.prompts for model in (request.models or [None]) for temperature in request.temperatures]
    actions = {cell.key: PromptLabeler(
        cell.client, settings.max_labels, request.max_tokens or settings.max_tokens, settings.max_text_chars,
        prompt=prompt_builder(cell.prompt.name, cell.prompt.template, request.domain or settings.domain),
        temperature=cell.temperature,
        model=cell.model, seed=request.seed).label_one for cell in cells}
    outcomes = await map_actions_and_states(
        actions, [d["text"] for d in documents],
        limits=Limits(max_concurrency=settings.label_concurrency, timeout_s=settings.label_timeout_s))
    by_cell: dict[str, list[Outcome]] = {cell.key: [] for cell in cells}
    for outcome in outcomes:
        key, index = outcome.key
        by_cell[key].append(dataclasses.replace(outcome, key=index))
    results = await asyncio.gather(*(
        _score_cell(cell, by_cell[cell.key], documents, assemble, evaluate, request.window)
        for cell in cells))
    if all(error is not None for _, error in results):
        raise raisable(results[0][1], LABELLING)  # type: ignore[arg-type]
    table = [row for row, _ in results]
    return {"table": [_row(cell) for cell in table], "markdown": table_markdown(table), "cells": table,
            "documents": len(documents), "elapsed_s": round(time.perf_counter() - started, 3)}


async def _score_cell(cell: _Cell, outcomes: list[Outcome], documents: list[dict], assemble: Assemble,
                      evaluate: Evaluate, window: str) -> tuple[dict, BaseException | None]:
    """One cell's detail (metrics, vibe rows, failures) and the error that sank it, if any."""
    detail: dict[str, Any] = {
        "prompt": cell.prompt.name, "model": cell.model or cell.client.model or "default",
        "temperature": cell.temperature, "documents": len(documents), "documents_labelled": 0,
        "errors": 0, "latency_s": round(sum(o.latency_s for o in outcomes) / max(len(outcomes), 1), 3),
        "metrics": None, "vibe_check": [], "markdown": "", "labelling_errors": [], "error": None,
    }
    try:
        run = reduce_labels(outcomes)
        detail["errors"] = len(run.errors)
        detail["labelling_errors"] = run.named_errors(documents)
        detail["documents_labelled"] = sum(1 for labels in run.labels if labels)
        evaluation = await evaluate(documents, await assemble(documents, run.labels, window), window)
    except Exception as exc:  # noqa: BLE001 - a failing cell is reported in its row, not fatal
        detail["errors"] = detail["errors"] or len(outcomes)
        detail["error"] = failure_message(exc)
        return detail, exc
    detail.update(metrics=evaluation["metrics"], vibe_check=evaluation["vibe_check"], markdown=evaluation["markdown"])
    return detail, None


def _row(detail: dict) -> dict:
    """The table row of one cell: its coordinates, the headline metrics, counts and latency."""
    scores = detail["metrics"] or {}
    metric = {name: scores.get("chuang_rescaled_dot_product" if name == "rdp" else name) for name in METRICS}
    return {"prompt": detail["prompt"], "model": detail["model"], "temperature": detail["temperature"], **metric,
            **{k: detail[k] for k in ("documents", "documents_labelled", "errors", "latency_s", "error")}}


def _md(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table_markdown(details: list[dict]) -> str:
    """One Markdown row per cell; `latency_s` is the mean time to label one document in that cell."""
    columns = ["prompt", "model", "temperature", *METRICS, "documents_labelled", "errors", "latency_s", "error"]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for detail in details:
        row = _row(detail)
        row["temperature"] = f"{row['temperature']:g}"
        row["documents_labelled"] = f"{row['documents_labelled']}/{row['documents']}"
        lines.append("| " + " | ".join("" if c == "error" and row[c] is None else _md(row[c]) for c in columns) + " |")
    return "\n".join(lines) + "\n"

