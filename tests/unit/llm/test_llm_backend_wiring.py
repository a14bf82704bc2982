"""The agent and the topic pipeline reach the LLM through the backend setting, not a fixed handle."""

from deployments.agent.agent import Agent
from deployments.llm.client import HandleLLMClient
from deployments.llm.external import OpenAIEndpointClient
from deployments.topics.pipeline import TopicPipeline

EXTERNAL = {"llm_backend": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}}


def test_agent_uses_the_handle_by_default_and_the_endpoint_when_configured() -> None:
    assert isinstance(Agent(llm=object(), documents=object()).llm, HandleLLMClient)
    assert isinstance(Agent(llm=None, documents=object(), settings=EXTERNAL).llm, OpenAIEndpointClient)


def test_topic_pipeline_labels_through_the_configured_endpoint() -> None:
    pipeline = TopicPipeline(llm=None, embedder=object(), settings=EXTERNAL)
    assert isinstance(pipeline.labeler.client, OpenAIEndpointClient)
