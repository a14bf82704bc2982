"""The Agent replica: answers a question with the ReAct loop over the document tools.

`mode="improved"` (default) runs our loop; `mode="naive"` runs the classic LangChain one on the
same model and tools, so the evaluation can compare them through the same route.
"""

from __future__ import annotations

from typing import Any

from deployments import errors
from deployments.agent.classic import ClassicAgent
from deployments.agent.generation import Generator, Usage
from deployments.agent.react import ImprovedAgent
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import Documents, HandleDocuments, build_tools
from deployments.agent.trace import Run
from deployments.llm.backend import make_llm_client
from deployments.llm.client import LLMClient

MODES = ("improved", "naive")


class Agent:
    def __init__(self, llm: Any, documents: Any, settings: dict | None = None) -> None:
        self.settings = AgentSettings(**(settings or {}))
        self.llm: LLMClient = make_llm_client(self.settings.llm_backend, llm)
        self.documents: Documents = HandleDocuments(documents)
        self.tools = build_tools(self.documents, search_k=self.settings.search_k)

    async def ask(self, question: str, max_steps: int | None = None, mode: str = "improved") -> dict:
        """{"answer", "steps", "stop_reason", "usage", ...} for ``question``."""
        question = question.strip()
        if not question or len(question) > self.settings.max_question_chars:
            raise errors.bad_request(
                f"question must hold 1 to {self.settings.max_question_chars} characters", param="question")
        steps = self.settings.default_max_steps if max_steps is None else max_steps
        if not 1 <= steps <= self.settings.max_steps_limit:
            raise errors.bad_request(f"max_steps must be 1 to {self.settings.max_steps_limit}", param="max_steps")
        if mode not in MODES:
            raise errors.bad_request(f"mode must be one of {', '.join(MODES)}", param="mode")
        usage = Usage()
        generate = Generator(self.llm, usage)
        if mode == "naive":
            loop: ImprovedAgent | ClassicAgent = ClassicAgent(generate, self.tools, self.settings.classic_max_tokens)
        else:
            loop = ImprovedAgent(generate, self.tools, self.settings.thought_tokens, self.settings.input_tokens,
                                 grounded_answers=self.settings.grounded_answers)
        run = await loop.run(question, steps, Run(question=question, mode=mode, usage=usage))
        return run.to_dict()
