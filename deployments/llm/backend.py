"""Which LLM the agent and the topic pipeline talk to: the in-cluster `LLMServer` or an external endpoint.

Both sit behind the `LLMClient` protocol; `make_llm_client` picks one from `LLMBackendSettings`, so
callers take an `LLMClient` and never learn which stands behind it.
"""

from __future__ import annotations

from typing import Any

from deployments.llm.backend_settings import LLMBackendSettings
from deployments.llm.client import HandleLLMClient, LLMClient

__all__ = ["LLMBackendSettings", "make_llm_client"]


def make_llm_client(settings: LLMBackendSettings | dict | None, handle: Any = None) -> LLMClient:
    """The LLMClient for ``settings``: over ``handle`` (the LLMServer) or over the external endpoint.

    Builds no connection: the external client connects on its first request, so a replica starts
    even while the endpoint is down.
    """
    if not isinstance(settings, LLMBackendSettings):
        settings = LLMBackendSettings.model_validate(settings or {})
    if settings.kind == "openai":
        from deployments.llm.external import OpenAIEndpointClient

        return OpenAIEndpointClient(settings)
    if handle is None:
        raise ValueError("LLM backend 'serve' needs the LLMServer deployment handle")
    return HandleLLMClient(handle)
