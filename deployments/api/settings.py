"""Settings of the ingress."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IngressSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    health_timeout_s: float = Field(2.0, gt=0, description="How long /healthz waits for the model.")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Larger request bodies get 413.")
