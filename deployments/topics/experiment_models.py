"""Which LLMClient answers a model name of an experiment, and a 404 before any work for a name nobody serves.

The named models are the app's extra LLMServer deployments and the external endpoints of the topic
settings. Any other name may still be the default LLM's own served name, which the pipeline is not
told (the default may be an external endpoint too): one 1-token completion carrying that `model`
asks, and the LLM answers 404 `model_not_found` for a name it does not serve, exactly as
`/v1/completions` would. A name that passed is remembered, so the question is asked once.
"""

from __future__ import annotations

from deployments import errors
from deployments.errors import find_service_error
from deployments.llm.client import LLMClient


class ExperimentModels:
    def __init__(self, default: LLMClient, named: dict[str, LLMClient] | None = None) -> None:
        self.default = default
        self.named = dict(named or {})
        self._default_names: set[str] = set()

    async def client(self, name: str | None) -> LLMClient:
        """The client serving `name` (None: the default LLM); ServiceError 404 when none does."""
        if name is None:
            return self.default
        if name in self.named:
            return self.named[name]
        if name not in self._default_names:
            await self._check_default_serves(name)
            self._default_names.add(name)
        return self.default

    async def _check_default_serves(self, name: str) -> None:
        try:
            await self.default.complete({"prompt": "Hi", "max_tokens": 1, "temperature": 0.0, "model": name})
        except Exception as exc:
            found = find_service_error(exc)
            if found is not None and found.status == 404:
                others = ", ".join(sorted(self.named)) or "none"
                raise errors.not_found(f"model '{name}' does not exist: {found.message}; other models for "
                                       f"experiments: {others}", code="model_not_found") from None
            raise
