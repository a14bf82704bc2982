"""OpenAI response bodies and stream chunks for completions and chat, built from finished jobs."""

from __future__ import annotations

import time
import uuid
from typing import Any

from deployments.llm.jobs import GenerationJob


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def _finish_reason(job: GenerationJob) -> str:
    """OpenAI knows `stop` and `length`; a cancelled job only reaches a caller as an error."""
    return "length" if job.finish_reason == "length" else "stop"


def usage(job: GenerationJob) -> dict[str, int]:
    prompt = len(job.prompt_ids)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": job.completion_tokens,
        "total_tokens": prompt + job.completion_tokens,
    }


def completion(job: GenerationJob, model: str, request_id: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": job.text, "finish_reason": _finish_reason(job), "logprobs": None}],
        "usage": usage(job),
    }


def chat_completion(job: GenerationJob, model: str, request_id: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": job.text},
                "finish_reason": _finish_reason(job),
                "logprobs": None,
            }
        ],
        "usage": usage(job),
    }


def completion_chunk(
    model: str, request_id: str, text: str, job: GenerationJob | None = None
) -> dict[str, Any]:
    """A text delta; with ``job`` the last chunk, carrying finish_reason and usage."""
    return {
        "id": request_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "text": text, "finish_reason": _finish_reason(job) if job else None, "logprobs": None}
        ],
        **({"usage": usage(job)} if job else {}),
    }


def chat_chunk(
    model: str, request_id: str, delta: dict[str, str], job: GenerationJob | None = None
) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "delta": delta, "finish_reason": _finish_reason(job) if job else None, "logprobs": None}
        ],
        **({"usage": usage(job)} if job else {}),
    }


def model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "medici"}
