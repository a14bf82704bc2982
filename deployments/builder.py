"""Turns the plain deployment classes into one Serve application.

The only place deployment options are applied: defaults sized for a laptop here, production
values in `serve_config.yaml` (Serve lets the config override every option), and `AppArgs.options`
for a caller such as the tests. Building binds handles; it loads no model and starts no Ray.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from ray import serve
from ray.serve import Application

from deployments.agent.agent import Agent
from deployments.agent.settings import AgentSettings
from deployments.api.ingress import Ingress
from deployments.api.settings import IngressSettings
from deployments.documents.settings import DocumentStoreSettings
from deployments.documents.store import DocumentStore
from deployments.embeddings.embedder import Embedder
from deployments.embeddings.settings import EmbedderSettings
from deployments.llm.server import LLMServer
from deployments.llm.settings import LLMRuntimeConfig, LLMSettings
from deployments.security.settings import SecuritySettings
from deployments.topics.pipeline import TopicPipeline
from deployments.topics.settings import TopicSettings


class AppArgs(BaseModel):
    """Application `args` in serve_config.yaml."""

    model_config = ConfigDict(extra="forbid")

    llm: LLMSettings = Field(default_factory=LLMSettings)
    llm_runtime: LLMRuntimeConfig = Field(default_factory=LLMRuntimeConfig)
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    documents: DocumentStoreSettings = Field(default_factory=DocumentStoreSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    ingress: IngressSettings = Field(default_factory=IngressSettings)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-deployment Serve options merged over the defaults."
    )
    extra_llms: dict[str, LLMSettings] = Field(
        default_factory=dict,
        description="More models, each its own deployment `LLMServer-<name>` (options under that name), "
        "chosen by the request's `model`; served_model_name defaults to <name>.",
    )

    @model_validator(mode="after")
    def _one_database(self) -> "AppArgs":
        """The topic label cache and jobs live in the documents' database unless topics name their own:
        one embedded database per app, so labels and jobs outlive a replica like the documents do."""
        if "storage" not in self.topics.model_fields_set:
            self.topics = self.topics.model_copy(update={"storage": self.documents.storage})
        return self

    @model_validator(mode="after")
    def _extra_llm_names(self) -> "AppArgs":
        served = [self.llm.served_model_name]
        for name, settings in list(self.extra_llms.items()):
            if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise ValueError(f"extra_llms name '{name}': use letters, digits, '-', '_' or '.'")
            if "served_model_name" not in settings.model_fields_set:
                self.extra_llms[name] = settings = settings.model_copy(update={"served_model_name": name})
            served.append(settings.served_model_name)
        if len(set(served)) != len(served):
            raise ValueError(f"served model names must be unique, got {served}")
        return self


# Laptop-sized defaults: everything fits on 2 CPU cores. serve_config.yaml holds production values.
# Overload is refused early instead of queued without end: past max_ongoing + max_queued requests a
# caller gets 503 with Retry-After at once (LLMServer: from the ingress, in the OpenAI error shape;
# Ingress: from Serve's proxy, which `backpressure_config` gives the Retry-After header).
_RETRY_AFTER = {"status_code": 503, "retry_after_s": 1}
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "LLMServer": {
        "ray_actor_options": {"num_cpus": 1},
        "max_ongoing_requests": 64,  # 4 batches of 16 in the replica: each waits at most its request timeout
        "max_queued_requests": 64,
        "backpressure_config": _RETRY_AFTER,
        "health_check_period_s": 10,
        "health_check_timeout_s": 60,
        "graceful_shutdown_timeout_s": 30,
    },
    "Embedder": {"ray_actor_options": {"num_cpus": 0.25}, "max_ongoing_requests": 32},
    "DocumentStore": {"ray_actor_options": {"num_cpus": 0.25}, "max_ongoing_requests": 64},
    "Agent": {"ray_actor_options": {"num_cpus": 0.1}, "max_ongoing_requests": 64},
    "TopicPipeline": {"ray_actor_options": {"num_cpus": 0.1}, "max_ongoing_requests": 32},
    "Ingress": {
        "ray_actor_options": {"num_cpus": 0.1},
        "max_ongoing_requests": 256,
        "max_queued_requests": 256,
        "backpressure_config": _RETRY_AFTER,
    },
}


def _options(name: str, args: AppArgs, defaults: str | None = None, **extra: Any) -> dict[str, Any]:
    merged = {**DEFAULT_OPTIONS.get(defaults or name, {}), **extra, **args.options.get(name, {})}
    return {"name": name, **merged}


def build_app(args: AppArgs) -> Application:
    """Serve application builder: `serve run app:app` and serve_config.yaml's `args` call it."""
    if isinstance(args, dict):
        args = AppArgs.model_validate(args)
    llm = serve.deployment(LLMServer, **_options("LLMServer", args, user_config=args.llm_runtime.model_dump()))
    embedder = serve.deployment(Embedder, **_options("Embedder", args))
    documents = serve.deployment(DocumentStore, **_options("DocumentStore", args))
    agent = serve.deployment(Agent, **_options("Agent", args))
    topics = serve.deployment(TopicPipeline, **_options("TopicPipeline", args))
    ingress = serve.deployment(serve.ingress()(Ingress), **_options("Ingress", args))
    extra = {"extra_llms": _extra_llms(args)} if args.extra_llms else {}  # the ingress and experiments use them
    llm_app = llm.bind(args.llm.model_dump())
    embedder_app = embedder.bind(args.embedder.model_dump())
    documents_app = documents.bind(embedder_app, args.documents.model_dump())
    return ingress.bind(
        llm=llm_app,
        embedder=embedder_app,
        documents=documents_app,
        agent=agent.bind(llm_app, documents_app, args.agent.model_dump()),
        topics=topics.bind(llm_app, embedder_app, args.topics.model_dump(), **extra),
        settings=args.ingress.model_dump(),
        security=args.security.model_dump(),
        **extra,
    )


def _extra_llms(args: AppArgs) -> dict[str, Application]:
    """`LLMServer-<name>` per extra model, by served model name (what requests pass as `model`)."""
    bound = {}
    for name, settings in args.extra_llms.items():
        options = _options(f"LLMServer-{name}", args, defaults="LLMServer", user_config=args.llm_runtime.model_dump())
        bound[settings.served_model_name] = serve.deployment(LLMServer, **options).bind(settings.model_dump())
    return bound
