"""OpenAI tool calling: `tools`, `tool_choice` and `parallel_tool_calls` on chat requests, `tool_calls` out.

Every mode but ``none`` is constrained decoding (llguidance) against the declared parameter schemas,
so a call always parses and names a declared function:

- ``required`` and a named function: the answer is one or more calls ``{"name":...,"arguments":{...}}``,
  one per line (exactly one when ``parallel_tool_calls`` is false);
- ``auto``: the same calls, or a text answer; the grammar lets a text answer start with anything
  but ``{`` (and not with whitespace), so the first generated character says which it is and a
  stream can send call deltas from the start (`tool_stream.py`);
- ``none``: the tools are not shown to the model.

The grammar is tight, as vLLM's default backend and OpenAI's strict mode make it: an object in a
tool's parameters generates only the properties it declares unless it allows others explicitly
(`guided.closed_schema`), and with several calls per answer no call repeats an earlier one's name
and arguments (`tool_repeats.py`).

The tools are described to the model in a system message, since the chat template of a small
model may not render ``tools`` itself.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments.llm.guided import ConstraintSpec, Refine, closed_schema
from deployments.llm.tool_repeats import no_repeated_calls

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
    parallel_tool_calls: bool = Field(True, description="Several calls in one answer; false: at most one.")

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
        """The grammar of a tool answer (calls, or for auto also text); None for none."""
        mode = self.tool_mode()
        if mode == "none":
            return None
        return ConstraintSpec("grammar", calls_grammar(self.active_tools(), self.parallel_tool_calls, mode == "auto"))

    def tool_refine(self) -> Refine | None:
        """The per-step rule beside the grammar: with several calls per answer, none repeats an earlier one."""
        return no_repeated_calls if self.tool_mode() != "none" and self.parallel_tool_calls else None


def _parameters(function: FunctionDef) -> dict:
    return function.parameters or {"type": "object", "properties": {}, "additionalProperties": False}


def _call_schema(function: FunctionDef) -> dict:
    arguments = closed_schema(_parameters(function))
    return {"type": "object", "properties": {"name": {"const": function.name}, "arguments": arguments},
            "required": ["name", "arguments"], "additionalProperties": False}


def calls_grammar(functions: list[FunctionDef], parallel: bool, text_allowed: bool) -> str:
    """The Lark grammar (llguidance's dialect) of a tool answer: compact JSON calls, one per line.

    Compact JSON with keys in schema order fixes each call's bytes up to its values, which is what
    lets `tool_stream.scan_calls` stream a call while it is generated.
    """
    options = [_call_schema(f) for f in functions]
    schema = options[0] if len(options) == 1 else {"anyOf": options}
    schema = {**schema, "x-guidance": {"whitespace_flexible": False}}
    calls = 'call ("\\n" call)*' if parallel else "call"
    lines = [f"start: calls{' | TEXT' if text_allowed else ''}", f"calls: {calls}", f"call: %json {json.dumps(schema)}"]
    if text_allowed:
        lines.append(r"TEXT: /[^{\s][\s\S]*/")
    return "\n".join(lines)


def tools_prompt(functions: list[FunctionDef], parallel: bool = True) -> str:
    """The system text that shows the tools to the model and the one shape a call takes."""
    lines = ["You can call these functions:"]
    for f in functions:
        lines.append(json.dumps({"name": f.name, "description": f.description or "", "parameters": _parameters(f)}))
    lines.append('To call one, answer only with JSON: {"name": <function name>, "arguments": <arguments object>}.')
    if parallel:
        lines.append("To call several, write one such JSON object per line.")
    return "\n".join(lines)


def message_text(message: Any) -> str:
    """An assistant message's earlier tool calls as text in the shape the grammar generates, one per line."""
    calls = getattr(message, "tool_calls", None) or []
    texts = []
    for call in calls:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            arguments = function.get("arguments")
        texts.append(json.dumps({"name": function.get("name"), "arguments": arguments}, separators=(",", ":")))
    return "\n".join([message.content, *texts]).strip() if texts else message.content
