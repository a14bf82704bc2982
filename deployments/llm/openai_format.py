"""OpenAI response bodies and stream chunks for completions and chat, built from finished jobs.

A request with ``n`` choices ran as ``n`` jobs: choice ``i`` is job ``i``; they share one prompt,
so usage counts the prompt once and the completion tokens of all.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable

from deployments.llm.jobs import GenerationJob
from deployments.llm.tool_stream import parse_calls
from deployments.llm.tools import FunctionDef

TokenText = Callable[[int], str]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def _finish_reason(job: GenerationJob, functions: list[FunctionDef] | None = None) -> str:
    """OpenAI knows `stop`, `length` and `tool_calls`; a cancelled job only reaches a caller as an error."""
    if job.finish_reason == "length":
        return "length"  # calls cut short come back as calls, with length (as OpenAI's)
    return "tool_calls" if functions and calls(job, functions) else "stop"


def calls(job: GenerationJob, functions: list[FunctionDef]) -> list[dict[str, Any]] | None:
    """The answer's tool calls, or None when it is text. Cut by ``max_tokens``, the calls so far, the last
    with its partial arguments: the same calls a stream of this answer delivered (`ToolCallStream`)."""
    return parse_calls(job.text, {f.name for f in functions}, job.call_id, cut=job.finish_reason == "length")


def _message(job: GenerationJob, functions: list[FunctionDef] | None) -> dict[str, Any]:
    tool_calls = calls(job, functions) if functions else None
    if tool_calls is None:
        return {"role": "assistant", "content": job.text}
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if tool_calls:  # none when the answer was cut before its first call's name was complete
        message["tool_calls"] = tool_calls
    return message


def usage(jobs: GenerationJob | list[GenerationJob]) -> dict[str, int]:
    jobs = jobs if isinstance(jobs, list) else [jobs]
    prompt = len(jobs[0].prompt_ids)
    completion_tokens = sum(job.completion_tokens for job in jobs)
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def completion_logprobs(job: GenerationJob, text_of: TokenText, start: int = 0, end: int | None = None,
                        offset: int = 0) -> dict[str, Any] | None:
    """The legacy completions shape for tokens ``start:end``: parallel lists of tokens, logprobs, top
    alternatives and text offsets (``offset`` is where token ``start`` begins in the whole text)."""
    if job.logprobs is None:
        return None
    entries = job.token_logprobs[start:end]
    tokens = [text_of(t.token) for t in entries]
    offsets, at = [], offset
    for token in tokens:
        offsets.append(at)
        at += len(token)
    return {
        "tokens": tokens,
        "token_logprobs": [t.logprob for t in entries],
        "top_logprobs": [{text_of(i): lp for i, lp in t.top} for t in entries],
        "text_offset": offsets,
    }


def _entry(token: int, logprob: float, text_of: TokenText) -> dict[str, Any]:
    text = text_of(token)
    return {"token": text, "logprob": logprob, "bytes": list(text.encode("utf-8"))}


def chat_logprobs(job: GenerationJob, text_of: TokenText, start: int = 0, end: int | None = None) -> dict[str, Any] | None:
    """The chat shape for tokens ``start:end``: one entry per token with its top alternatives."""
    if job.logprobs is None:
        return None
    return {"content": [
        {**_entry(t.token, t.logprob, text_of), "top_logprobs": [_entry(i, lp, text_of) for i, lp in t.top]}
        for t in job.token_logprobs[start:end]
    ]}


def completion(jobs: list[GenerationJob], model: str, request_id: str, text_of: TokenText) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": i, "text": job.text, "finish_reason": _finish_reason(job),
             "logprobs": completion_logprobs(job, text_of)}
            for i, job in enumerate(jobs)
        ],
        "usage": usage(jobs),
    }


def chat_completion(jobs: list[GenerationJob], model: str, request_id: str, text_of: TokenText,
                    functions: list[FunctionDef] | None = None) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": _message(job, functions),
                "finish_reason": _finish_reason(job, functions),
                "logprobs": chat_logprobs(job, text_of),
            }
            for i, job in enumerate(jobs)
        ],
        "usage": usage(jobs),
    }


def completion_chunk(
    model: str, request_id: str, text: str, job: GenerationJob | None = None, index: int = 0,
    logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A text delta with the logprobs of the tokens it delivers; with ``job`` the choice's last chunk,
    carrying its finish_reason and usage."""
    return {
        "id": request_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": index, "text": text, "finish_reason": _finish_reason(job) if job else None, "logprobs": logprobs}
        ],
        **({"usage": usage(job)} if job else {}),
    }


def chat_chunk(
    model: str, request_id: str, delta: dict[str, Any], job: GenerationJob | None = None, index: int = 0,
    functions: list[FunctionDef] | None = None, logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": index, "delta": delta, "finish_reason": _finish_reason(job, functions) if job else None,
             "logprobs": logprobs}
        ],
        **({"usage": usage(job)} if job else {}),
    }


def usage_chunk(model: str, request_id: str, obj: str, jobs: list[GenerationJob]) -> dict[str, Any]:
    """`stream_options.include_usage`: the last chunk, with the whole request's usage and no choices."""
    return {"id": request_id, "object": obj, "created": int(time.time()), "model": model,
            "choices": [], "usage": usage(jobs)}


def model_card(name: str, task: str = "generate", max_model_len: int | None = None, **extra: Any) -> dict[str, Any]:
    """An OpenAI model card, with what it serves beside it (fields that are not in OpenAI spec, as vLLM adds
    ``max_model_len``): ``task`` is vLLM's word, ``generate`` (chat and completions) or ``embed`` (embeddings)."""
    card = {"id": name, "object": "model", "created": 0, "owned_by": "medici", "task": task}
    if max_model_len is not None:
        card["max_model_len"] = max_model_len
    return {**card, **extra}
