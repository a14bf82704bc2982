"""OpenAI tool calling: `tools` and `tool_choice` on chat requests, and `tool_calls` in the answer.

- ``required`` and a named function: the output is constrained (llguidance, JSON Schema) to one call
  ``{"name": ..., "arguments": {...}}`` against the declared parameter schemas, so it always parses;
- ``auto``: the model is free to answer in text or with a call in that same JSON shape, and the
  answer is parsed (as vLLM's tool parsers do); text that is not a valid call stays content;
- ``none``: the tools are not shown to the model.

The tools are described to the model in a system message, since the chat template of a small
model may not render ``tools`` itself. One call per answer (parallel calls are not generated).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments.llm.guided import ConstraintSpec

MAX_TOOLS = 64


class FunctionDef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str | None = None
    parameters: dict | None = Field(None, description="JSON Schema of the arguments; none means no arguments.")
    strict: bool | None = None


class Tool(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["function"] = "function"
    function: FunctionDef


class NamedFunction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str


class NamedToolChoice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["function"] = "function"
    function: NamedFunction


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class ToolFields(BaseModel):
    """Mixed into the chat request."""

    tools: list[Tool] | None = Field(None, max_length=MAX_TOOLS, description="Functions the model may call.")
    tool_choice: ToolChoice | None = Field(None, description="none, auto (default with tools), required, or a named function.")

    @model_validator(mode="after")
    def _choice_names_a_tool(self) -> "ToolFields":
        names = [t.function.name for t in self.tools or []]
        if len(set(names)) != len(names):
            raise ValueError("tools: function names must be unique")
        if isinstance(self.tool_choice, NamedToolChoice) and self.tool_choice.function.name not in names:
            raise ValueError(f"tool_choice names '{self.tool_choice.function.name}', which is not in tools")
        if self.tool_choice == "required" and not names:
            raise ValueError("tool_choice 'required' needs tools")
        return self

    def tool_mode(self) -> str:
        """none, auto, required or named: what this request asks of the tools."""
        if not self.tools or self.tool_choice == "none":
            return "none"
        if isinstance(self.tool_choice, NamedToolChoice):
            return "named"
        return self.tool_choice or "auto"

    def active_tools(self) -> list[FunctionDef]:
        if self.tool_mode() == "none":
            return []
        if isinstance(self.tool_choice, NamedToolChoice):
            return [t.function for t in self.tools if t.function.name == self.tool_choice.function.name]
        return [t.function for t in self.tools]

    def tool_constraint(self) -> ConstraintSpec | None:
        """The JSON Schema of one call, for required and named; None for auto and none."""
        if self.tool_mode() not in ("required", "named"):
            return None
        options = [_call_schema(f) for f in self.active_tools()]
        return ConstraintSpec("json", options[0] if len(options) == 1 else {"anyOf": options})


def _parameters(function: FunctionDef) -> dict:
    return function.parameters or {"type": "object", "properties": {}, "additionalProperties": False}


def _call_schema(function: FunctionDef) -> dict:
    return {"type": "object", "properties": {"name": {"const": function.name}, "arguments": _parameters(function)},
            "required": ["name", "arguments"], "additionalProperties": False}


def tools_prompt(functions: list[FunctionDef]) -> str:
    """The system text that shows the tools to the model and the one shape a call takes."""
    lines = ["You can call these functions:"]
    for f in functions:
        lines.append(json.dumps({"name": f.name, "description": f.description or "", "parameters": _parameters(f)}))
    lines.append('To call one, answer only with JSON: {"name": <function name>, "arguments": <arguments object>}.')
    return "\n".join(lines)


def parse_call(text: str, functions: list[FunctionDef], call_id: str) -> dict[str, Any] | None:
    """An OpenAI ``tool_calls`` entry when ``text`` is exactly one call of a declared function, else None."""
    try:
        value = json.loads(text.strip())
    except ValueError:
        return None
    if not (isinstance(value, dict) and set(value) == {"name", "arguments"} and isinstance(value["arguments"], dict)):
        return None
    if value["name"] not in {f.name for f in functions}:
        return None
    return {"id": call_id, "type": "function",
            "function": {"name": value["name"], "arguments": json.dumps(value["arguments"])}}


def message_text(message: Any) -> str:
    """An assistant message's earlier tool calls as text in the same call shape, so the history reads alike."""
    calls = getattr(message, "tool_calls", None) or []
    texts = []
    for call in calls:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            arguments = function.get("arguments")
        texts.append(json.dumps({"name": function.get("name"), "arguments": arguments}))
    return "\n".join([message.content, *texts]).strip() if texts else message.content
