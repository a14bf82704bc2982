"""The agent route: thin, validates the question and calls the Agent handle (plain or streamed)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from deployments.api.calls import call, open_stream
from deployments.validation import NonBlankStr

router = APIRouter(tags=["agent"])

_SSE_EVENT = {"type": "object", "required": ["data"],
              "description": "`data: {\"type\": \"step\", \"index\", \"step\"}` per step, then `data: {\"type\": "
              "\"answer\", ...the non-streaming reply}`, then `data: [DONE]`; an error midway is "
              "`data: {\"error\": {...}}` then `data: [DONE]`."}
_ERRORS = {200: {"description": "The answer; with `stream` true, server-sent events",
                 "content": {"text/event-stream": {"schema": _SSE_EVENT}}},
           400: {"description": "Invalid request"}, 503: {"description": "Model not ready"},
           504: {"description": "Generation timed out"}}


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: NonBlankStr = Field(..., min_length=1, max_length=1000)
    max_steps: int | None = Field(None, ge=1, le=12, description="Most tool steps before a forced final answer.")
    mode: Literal["improved", "naive"] = Field(
        "improved", description="improved: our ReAct loop; naive: the classic LangChain ReAct loop, for comparison."
    )
    samples: int = Field(
        1, ge=1, le=8,
        description="Self-consistency: 1 (default) is one greedy run. n > 1 runs n sampled trajectories at once "
        "(run i with seed i, at the agent's sample_temperature) and answers by majority vote over their normalised "
        "answers (numbers compared as numbers; runs without an answer vote only when no run answered; ties go to "
        "the earliest seed). The reply then adds `votes` ([{answer, count}], most first) and `samples` (every run "
        "with its seed, or its error); `answer`, `steps` and `stop_reason` are the winning run's, `usage` and "
        "`parse_failures` are summed over all runs. Costs about n times the tokens.",
    )
    stream: bool = Field(
        False, description="Answer with server-sent events: one `step` event per step as it finishes, then one "
        "`answer` event holding the non-streaming reply, then `[DONE]` (with samples > 1: the answer event only).",
    )


@router.post("/v1/agent/ask", responses=_ERRORS)
async def ask(body: AskRequest, request: Request):
    agent = request.app.state.services.agent
    args = (body.question, body.max_steps, body.mode, body.samples)
    if body.stream:
        return await open_stream(agent.options(stream=True).ask_stream.remote(*args))
    return await call(agent.ask.remote(*args))
