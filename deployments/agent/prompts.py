"""Prompt builders for the two loops.

`classic_prompt` is LangChain's `hwchase17/react` prompt with its full scratchpad (every earlier
Thought replayed). `improved_prompt` is ours: short, with worked examples a 135M model can copy,
and a history of actions, inputs and observations only (fix 4: old Thoughts are dropped, so the
model cannot take its own earlier guesses for facts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from deployments.agent.parser import FINAL_ANSWER

# hwchase17/react, verbatim.
CLASSIC_TEMPLATE = """Answer the following questions as best you can. You have access to the following tools:

{tools}

Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{tool_names}]
Action Input: the input to the action
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can repeat N times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question

Begin!

Question: {input}
Thought:{agent_scratchpad}"""

FINAL_ANSWER_DESCRIPTION = "Give the final answer to the question."
FINAL_ANSWER_FORMAT = "the answer only: a number or a few words"

# Worked examples over documents that are not in the corpus: they teach the format, not the facts.
# The one-search example comes last: a small model copies the nearest example most.
IMPROVED_EXAMPLES = """Example 1
Question: How many more employees does the Oslo office have than the Riga office?
Thought: I need to search for the Oslo office.
Action: search
Action Input: Oslo office employees
Observation: [office-oslo] The Oslo office opened in 2015 and has 64 employees.
Thought: Now I need the Riga office.
Action: search
Action Input: Riga office employees
Observation: [office-riga] The Riga office has 41 employees.
Thought: I need to subtract 41 from 64.
Action: calculator
Action Input: 64 - 41
Observation: 23
Thought: The calculator says 23.
Action: Final Answer
Action Input: 23

Example 2
Question: How many employees work at the Oslo office?
Thought: I need to search for the Oslo office.
Action: search
Action Input: Oslo office employees
Observation: [office-oslo] The Oslo office opened in 2015 and has 64 employees.
Thought: The observation says 64.
Action: Final Answer
Action Input: 64"""


@dataclass(frozen=True)
class HistoryItem:
    """One earlier step as the improved prompt shows it: no Thought."""

    action: str
    action_input: str
    observation: str


def describe_tools(tools: dict) -> str:
    """One line per tool: name, one-sentence description, the typed input format (fixes 1 and 2)."""
    lines = [f"{tool.name}: {tool.description} Input: {tool.input_format}." for tool in tools.values()]
    lines.append(f"{FINAL_ANSWER}: {FINAL_ANSWER_DESCRIPTION} Input: {FINAL_ANSWER_FORMAT}.")
    return "\n".join(lines)


def improved_prompt(question: str, tools: dict, history: Sequence[HistoryItem], thought: str | None = None) -> str:
    """The prompt for the next step; it ends at `Thought:`, or after ``thought`` at `Action:`."""
    parts = [
        "Answer the question with the tools. Use only facts from observations; never guess numbers.",
        "Tools:",
        describe_tools(tools),
        "",
        IMPROVED_EXAMPLES,
        "",
        "Now the real question.",
        f"Question: {question}",
    ]
    for item in history:
        parts += [f"Action: {item.action}", f"Action Input: {item.action_input}", f"Observation: {item.observation}"]
    if thought is None:
        parts.append("Thought:")
    else:
        parts += [f"Thought: {thought}", "Action:"]
    return "\n".join(parts)


def with_action(prompt: str, action: str) -> str:
    """``prompt`` (ending at `Action:`) continued to where the Action Input is written."""
    return f"{prompt} {action}\nAction Input:"


def final_answer_prompt(question: str, tools: dict, history: Sequence[HistoryItem]) -> str:
    """At max_steps: one request for a Final Answer from the observations gathered so far."""
    thought = "I must give the final answer now from the observations above."
    return with_action(improved_prompt(question, tools, history, thought), FINAL_ANSWER)


def classic_prompt(question: str, tools: dict, scratchpad: str) -> str:
    """hwchase17/react with LangChain's tool rendering (`name: description`)."""
    rendered = "\n".join(f"{tool.name}: {tool.description}" for tool in tools.values())
    return CLASSIC_TEMPLATE.format(
        tools=rendered, tool_names=", ".join(tools), input=question, agent_scratchpad=scratchpad
    )
