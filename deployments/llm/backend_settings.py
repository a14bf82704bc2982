"""Settings of the LLM the agent and the topic pipeline talk to: the in-cluster `LLMServer` or an external endpoint.

Kept apart from `backend.py` (which builds the client) so that `external.py` can read its settings
without importing the module that imports it: no import cycle between the two.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LLMBackendSettings(BaseModel):
    """`kind: serve` uses the LLMServer handle; `kind: openai` an OpenAI-compatible endpoint (TGI, vLLM, ...)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["serve", "openai"] = Field("serve", description="serve: the in-cluster LLMServer handle.")
    base_url: str | None = Field(
        None, description="The endpoint's OpenAI base URL, e.g. http://vllm:8000/v1 (kind: openai only)."
    )
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the endpoint's API key (never the key)."
    )
    model: str | None = Field(None, description="`model` sent upstream; None keeps the request's own.")
    dialect: Literal["vllm", "vllm-legacy", "tgi", "openai"] = Field(
        "vllm",
        description="How the endpoint spells output constraints: vllm (structured_outputs), vllm-legacy "
        "(guided_*), tgi (grammar), openai (response_format json_schema). Outputs are checked either way.",
    )
    timeout_s: float = Field(60.0, gt=0, description="Whole-request timeout; past it the caller gets 504.")
    connect_timeout_s: float = Field(2.0, gt=0, le=60, description="TCP connect timeout: a down endpoint fails fast.")
    resolve_timeout_s: float = Field(2.0, gt=0, le=60, description="DNS timeout: an unresolvable host fails fast.")

    @model_validator(mode="after")
    def _openai_needs_url(self) -> "LLMBackendSettings":
        if self.kind == "openai":
            if not self.base_url or not self.base_url.startswith(("http://", "https://")):
                raise ValueError("kind 'openai' needs base_url, an http:// or https:// URL")
        return self
