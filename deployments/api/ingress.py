"""The HTTP ingress: a plain class whose FastAPI app is built inside the replica.

Serve's `__serve_build_asgi_app__` hook builds the app after `__init__`, so routes reach the
deployment handles through `app.state` and each feature can keep its routes in its own router.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from deployments.api import health, openai_routes, topic_routes
from deployments.api.body_limit import BodyLimitMiddleware
from deployments.api.errors import install_error_handlers
from deployments.api.settings import IngressSettings


@dataclass
class Services:
    """What routes can reach: the handles and the settings."""

    settings: IngressSettings
    llm: object  # DeploymentHandle of LLMServer
    embedder: object  # DeploymentHandle of Embedder
    topics: object = None  # DeploymentHandle of TopicPipeline


def build_fastapi_app(services: Services) -> FastAPI:
    app = FastAPI(title="Medici", version="0.1.0", description="LLM service for a company's own documents")
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=services.settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(openai_routes.router)
    app.include_router(topic_routes.router)
    return app


class Ingress:
    def __init__(self, llm, embedder, settings: dict | None = None, topics=None) -> None:
        self.services = Services(settings=IngressSettings(**(settings or {})), llm=llm, embedder=embedder,
                                 topics=topics)

    def __serve_build_asgi_app__(self) -> FastAPI:
        return build_fastapi_app(self.services)
