"""LangChain's own standard integration suites (`langchain-tests`) against the session server.

`ChatModelIntegrationTests` through `ChatOpenAI(base_url=...)` with tool calling, tool choice,
structured output (json_schema), JSON mode and usage metadata declared, and `EmbeddingsIntegrationTests`
through `OpenAIEmbeddings` with the embedder's listed name. Images, audio and PDF are not claimed (the
model reads text only), so those tests skip.

Every test the server passes must pass. What the default 135M model cannot do is listed in
`MODEL_QUALITY` with the reason, as a strict xfail: when a server change or a better model makes one
pass, the xfail fails and the entry must go. A fixed seed keeps the answers the same from run to run.

The whole suite runs in CI (`make test`), in about two minutes; `make test-clients` runs it alone, with
the `openai` client's tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

pytestmark = [pytest.mark.integration, pytest.mark.langchain]

_SERVER: dict[str, str] = {}  # base_url and model of the session server, set by the model fixture

# test id -> why the 135M model fails it (the server's answer is well formed: valid tool_calls, JSON, usage)
MODEL_QUALITY: dict[str, str] = {
    **dict.fromkeys(["test_tool_calling[model0]", "test_tool_calling[model1]", "test_tool_calling_async"],
                    "after the call magic_function(3) it goes on calling magic_function with other inputs instead of "
                    "ending the answer, and the test asks for exactly one call"),
    "test_json_mode": "does not write the Joke as the prompt describes it (json_object mode gives no schema): setup "
                      "is not a string",
    **dict.fromkeys(["test_agent_loop[model0]", "test_agent_loop[model1]"],
                    "answers the weather question in text instead of calling get_weather (tool_choice auto)"),
}

# test id -> a model-quality failure seen in some full-suite runs and not in others, so it cannot be a strict
# xfail: the seed fixes the sampler, but the server's earlier traffic (the prefix cache, rows decoded together)
# still moves a token now and then, and the 135M model's answer then runs away. Not strict; the reason says why.
MODEL_QUALITY_UNSTABLE: dict[str, str] = {
    "test_structured_output_optional_param": "sometimes repeats inside the Joke's JSON until max_tokens (256), so "
                                             "the openai client's parser raises LengthFinishReasonError",
    "test_unicode_tool_call_integration": "with the call forced (tool_choice any), sometimes repeats inside the "
                                          "arguments' JSON until max_tokens (256), so no whole call comes back "
                                          "(passed on one machine, failed twice on another)",
}


@pytest.fixture(autouse=True)
def _model_quality_xfail(request: pytest.FixtureRequest) -> None:
    reason = MODEL_QUALITY.get(request.node.name)
    if reason:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=f"model quality (SmolLM2-135M): {reason}"))
    unstable = MODEL_QUALITY_UNSTABLE.get(request.node.name)
    if unstable:
        request.node.add_marker(pytest.mark.xfail(strict=False, reason=f"model quality (SmolLM2-135M): {unstable}"))


class TestMediciChatModel(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatOpenAI]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        """The session server, a seed so that the model's answers (and with them the xfails) are the same on every
        run, and at most 256 tokens per answer (the cap this server had by default): without max_tokens the server,
        as vLLM and OpenAI do, lets an answer run to the end of the context window. Sampling stays at the
        default temperature, as the suite leaves it; greedy decoding makes this model repeat itself."""
        return {**_SERVER, "api_key": "unused", "max_retries": 0, "seed": 1, "max_tokens": 256}

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @pytest.fixture
    def model(self, request: pytest.FixtureRequest, base_url: str, model_name: str) -> ChatOpenAI:
        """The suite's model fixture, once the session server's address is known (some tests build their own
        model from `chat_model_params`)."""
        _SERVER.update(base_url=f"{base_url}/v1", model=model_name)
        extra: dict[str, Any] = getattr(request, "param", None) or {}
        return ChatOpenAI(**{**self.standard_chat_model_params, **self.chat_model_params, **extra})


class TestMediciEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[OpenAIEmbeddings]:
        return OpenAIEmbeddings

    @pytest.fixture
    def model(self, base_url: str, http) -> OpenAIEmbeddings:
        """The embedder under the name `/v1/models` lists for it; texts sent as text (not tiktoken ids)."""
        name = next(card["id"] for card in http.get("/v1/models").json()["data"] if card.get("task") == "embed")
        return OpenAIEmbeddings(base_url=f"{base_url}/v1", api_key="unused", model=name,
                                check_embedding_ctx_length=False)
