"""The agent's tools and their registry.

Fixes 1 and 2 live here: every tool has a one-sentence, verb-first description a user would
understand, and a typed input whose format is spelled out; `parse_input` validates it and raises
`ToolInputError` with a precise message, which the loop shows as the Observation so the model can
try again. A new tool is one small class with `name`, `description`, `input_format`, `parse_input`
and `run`, added to `build_tools` (the one place tools are registered).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol, Sequence

from deployments.agent.calculator import CalculatorError, evaluate, format_number
from deployments.agent.choices import numbers, observation_text
from deployments.agent.grammars import InputSpace

logger = logging.getLogger("ray.serve")


class ToolInputError(ValueError):
    """A bad tool input; the message becomes the Observation."""


class Documents(Protocol):
    """What the tools need from the DocumentStore (its handle, or a fake in tests)."""

    async def search(self, query: str, k: int, mode: str) -> list[dict[str, Any]]: ...

    async def get(self, doc_id: str) -> dict[str, Any] | None: ...


class Tool(Protocol):
    name: str
    description: str  # one sentence, starting with a verb
    input_format: str  # the type of the input, with an example

    result_is_answer: bool  # the whole observation is a value a final answer may be (a calculation)

    def parse_input(self, raw: str) -> Any: ...

    def input_space(self, question: str, observations: Sequence[str]) -> InputSpace | None:
        """What this tool's input may be now (compiled to a grammar), or None: free text."""

    async def run(self, value: Any) -> str: ...


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class SearchTool:
    name = "search"
    description = "Search the company documents and show the best matches with their document ids."
    input_format = "a short search query (string) copied from the question, e.g. Blue Harbour"
    result_is_answer = False

    def __init__(self, documents: Documents, k: int = 1, mode: str = "hybrid", max_chars: int = 200) -> None:
        self.documents, self.k, self.mode, self.max_chars = documents, k, mode, max_chars

    def parse_input(self, raw: str) -> str:
        query = raw.strip().strip("\"'").strip()
        if not query:
            raise ToolInputError(f"the search query is empty; give {self.input_format}")
        if len(query) > 200:
            raise ToolInputError("the search query is longer than 200 characters; use a few key words")
        if not re.search(r"[^\W\d_]", query):  # no letter: "1000 - 387" is arithmetic, not a query
            raise ToolInputError(f"'{query}' has no words to search for; use calculator for arithmetic")
        return query

    def input_space(self, question: str, observations: Sequence[str]) -> InputSpace:
        """Any span of the question: the things it names, or the whole of it."""
        return InputSpace(texts=(question.strip(),))

    async def run(self, query: str) -> str:
        hits = await self.documents.search(query, self.k, self.mode)
        if not hits:
            return f"no document matches '{query}'; try other words"
        return self.show(hits)

    def show(self, hits: Sequence[dict[str, Any]]) -> str:
        """Hits as the Observation shows them: "[id] text" each."""
        return " ".join(f"[{hit['id']}] {_clip(hit['text'], self.max_chars)}" for hit in hits)


class LookupTool:
    name = "lookup"
    description = "Look up the sentences of one document that contain a phrase."
    input_format = "a document id and a phrase separated by a comma (string, string), e.g. doc-3, revenue"
    result_is_answer = False

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def parse_input(self, raw: str) -> tuple[str, str]:
        doc_id, sep, phrase = raw.strip().strip("\"'").partition(",")
        doc_id, phrase = doc_id.strip().strip("[]\"'"), phrase.strip().strip("\"'")
        if not sep or not doc_id or not phrase:
            raise ToolInputError(f"lookup needs {self.input_format}")
        return doc_id, phrase

    def input_space(self, question: str, observations: Sequence[str]) -> None:
        return None

    async def run(self, value: tuple[str, str]) -> str:
        doc_id, phrase = value
        doc = await self.documents.get(doc_id)
        if doc is None:
            return f"there is no document with id '{doc_id}'; use an id shown by search, e.g. [doc-3] means doc-3"
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", doc["text"]) if phrase.lower() in s.lower()]
        if not sentences:
            return f"document {doc_id} has no sentence containing '{phrase}'"
        return " ".join(sentences)


class CalculatorTool:
    name = "calculator"
    description = "Calculate an arithmetic expression with + - * / ^ ( ) and decimal numbers."
    input_format = "an arithmetic expression (string of numbers and operators), e.g. (120 - 45) * 2"
    result_is_answer = True

    def parse_input(self, raw: str) -> str:
        expression = raw.strip().strip("\"'`").strip()
        if not expression:
            raise ToolInputError(f"the expression is empty; give {self.input_format}")
        return expression

    def input_space(self, question: str, observations: Sequence[str]) -> InputSpace | None:
        """Arithmetic over the numbers seen: the question's own and the observations'."""
        seen = [n for o in observations if not o.startswith("Error:") for n in numbers(observation_text(o))]
        operands = tuple(dict.fromkeys([*numbers(question), *seen]))
        return InputSpace(operands=operands, arithmetic=True) if operands else None

    async def run(self, expression: str) -> str:
        try:
            return format_number(evaluate(expression))
        except CalculatorError as exc:
            raise ToolInputError(f"{exc}; give {self.input_format}") from None


def build_tools(documents: Documents, search_k: int = 1) -> dict[str, Tool]:
    """The registry: the one place a tool is added."""
    tools: list[Tool] = [SearchTool(documents, k=search_k), LookupTool(documents), CalculatorTool()]
    return {tool.name: tool for tool in tools}


async def run_tool(tools: dict[str, Tool], name: str, raw_input: str) -> str:
    """Validate and run; every failure the model can fix comes back as an error Observation."""
    tool = tools.get(name)
    if tool is None:
        return f"Error: '{name}' is not a tool; use one of: {', '.join(tools)}"
    try:
        return await tool.run(tool.parse_input(raw_input))
    except ToolInputError as exc:
        return f"Error: {exc}"
    except Exception:  # noqa: BLE001 - an outage of the tool's backend: logged here, never shown raw
        logger.exception("tool %s failed", name)
        return f"Error: the {name} tool is unavailable right now; try another action or give your Final Answer"


class HandleDocuments:
    """`Documents` over the DocumentStore deployment handle."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def search(self, query: str, k: int, mode: str) -> list[dict[str, Any]]:
        return await self.handle.search.remote(query, k, mode)

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        return await self.handle.get.remote(doc_id)

    async def page(self, limit: int, offset: int) -> dict[str, Any]:
        return await self.handle.page.remote(limit, offset)

    async def count(self) -> int:
        return await self.handle.count.remote()
