"""The HTTP ingress: a plain class whose FastAPI app is built inside the replica.

Serve's `__serve_build_asgi_app__` hook builds the app after `__init__`, so routes reach the
deployment handles through `app.state` and each feature can keep its routes in its own router.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from fastapi import FastAPI

from deployments.api import (agent_routes, auth, documents_routes, experiment_routes, health, openai_routes,
                             topic_routes)
from deployments.api.auth import BearerAuthMiddleware
from deployments.api.body_limit import BodyLimitMiddleware
from deployments.api.errors import install_error_handlers
from deployments.api.settings import IngressSettings
from deployments.api.ui_routes import install_ui
from deployments.security import startup
from deployments.security.keys import Keys, keys_from_env
from deployments.security.settings import SecuritySettings


@dataclass
class Services:
    """What routes can reach: the handles and the settings."""

    settings: IngressSettings
    llm: object  # DeploymentHandle of LLMServer
    embedder: object  # DeploymentHandle of Embedder
    documents: object = None  # DeploymentHandle of DocumentStore
    agent: object = None  # DeploymentHandle of Agent
    topics: object = None  # DeploymentHandle of TopicPipeline
    extra_llms: dict[str, object] = field(default_factory=dict)  # served model name -> LLMServer-<name>
    security: SecuritySettings = field(default_factory=SecuritySettings)  # URI allow-lists for callers
    keys: Keys | None = None  # None: read from the environment when the app is built

    def llm_for(self, model: str | None) -> object:
        """The LLMServer serving ``model``; the default one for None or an unknown name (it answers 404)."""
        return self.extra_llms.get(model, self.llm) if model else self.llm


def build_fastapi_app(services: Services) -> FastAPI:
    app = FastAPI(title="Medici", version="0.1.0", description="LLM service for a company's own documents")
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=services.settings.max_body_bytes)
    # read in the replica, when it builds the app; never at import. No key: open, every caller is admin
    keys = services.keys if services.keys is not None else keys_from_env(os.environ)
    app.state.keys = keys
    app.add_middleware(BearerAuthMiddleware, keys=keys)  # added last: runs first
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(openai_routes.router)
    app.include_router(documents_routes.router)
    app.include_router(agent_routes.router)
    app.include_router(topic_routes.router)
    app.include_router(experiment_routes.router)
    install_ui(app)
    return app


class Ingress:
    def __init__(
        self,
        llm,
        embedder,
        documents=None,
        agent=None,
        topics=None,
        settings: dict | None = None,
        extra_llms: dict | None = None,
        security: dict | None = None,
    ) -> None:
        security_settings = SecuritySettings(**(security or {}))
        keys = keys_from_env(os.environ)
        startup.check_open(keys, security_settings.allow_open, _bind_host())  # raises: the replica does not start
        self.services = Services(
            settings=IngressSettings(**(settings or {})),
            llm=llm,
            embedder=embedder,
            documents=documents,
            agent=agent,
            topics=topics,
            extra_llms=dict(extra_llms or {}),
            security=security_settings,
            keys=keys,
        )

    def __serve_build_asgi_app__(self) -> FastAPI:
        return build_fastapi_app(self.services)


def _bind_host() -> str | None:
    """Serve's HTTP host, or "unknown" when the controller cannot be asked (never taken for loopback)."""
    try:
        return startup.serve_http_host()
    except Exception:  # noqa: BLE001 - no controller (outside Serve) or it did not answer
        return "unknown"
