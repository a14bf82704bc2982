"""Settings of the ingress."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IngressSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    health_timeout_s: float = Field(2.0, gt=0, description="How long /healthz waits for the model.")
    request_timeout_s: float | None = Field(
        90.0, gt=0, description="Longest a completion/chat route waits for the model, time queued in Serve "
        "included; past it 504 and the call is cancelled. Keep it above LLMServer's request_timeout_s. "
        "None: no deadline.")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Larger request bodies get 413.")
