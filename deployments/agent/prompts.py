"""Prompt builders for the two loops.

`classic_prompt` is LangChain's `hwchase17/react` prompt with its full scratchpad (every earlier
Thought replayed). `improved_prompt` is ours: short, with worked examples (from a domain no evaluation uses) a 135M model can copy,
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
FINAL_ANSWER_FORMAT = "the answer only, copied from an observation: a number, a name or a few words"

# Worked examples over a made-up bookshop catalogue, a domain no evaluation corpus uses: they teach
# the format (one search per thing the question names, inputs copied from the question, answers
# copied from observations), not the facts. One example per kind of question; the lookup comes last,
# as a small model copies the nearest example most.
IMPROVED_EXAMPLES = """Example 1
Question: How many pages do Blue Harbour and Quiet Orchard have together?
Thought: I need the pages of Blue Harbour first.
Action: search
Action Input: Blue Harbour
Observation: [book-17] Blue Harbour: a sea novel by Ana Lind, shelf code SEA-7, 312 pages, first printed in 1998.
Thought: Now I need the pages of Quiet Orchard.
Action: search
Action Input: Quiet Orchard
Observation: [book-4] Quiet Orchard: poems about rural life by Sam Okafor, 96 pages, first printed in 2004.
Thought: I add the two page counts.
Action: calculator
Action Input: 312 + 96
Observation: 408
Thought: The calculator says 408.
Action: Final Answer
Action Input: 408

Example 2
Question: What is 12 multiplied by 9, minus 4?
Thought: This is arithmetic, so I calculate it.
Action: calculator
Action Input: 12 * 9 - 4
Observation: 104
Thought: The calculator says 104.
Action: Final Answer
Action Input: 104

Example 3
Question: Which book is described as 'poems about rural life'?
Thought: I search for the description.
Action: search
Action Input: poems about rural life
Observation: [book-4] Quiet Orchard: poems about rural life by Sam Okafor, 96 pages, first printed in 2004.
Thought: The book is Quiet Orchard.
Action: Final Answer
Action Input: Quiet Orchard

Example 4
Question: What is the shelf code of Blue Harbour?
Thought: I need to search for Blue Harbour.
Action: search
Action Input: Blue Harbour
Observation: [book-17] Blue Harbour: a sea novel by Ana Lind, shelf code SEA-7, 312 pages, first printed in 1998.
Thought: The observation says the shelf code is SEA-7.
Action: Final Answer
Action Input: SEA-7"""


@dataclass(frozen=True)
class HistoryItem:
    """One earlier step as the improved prompt shows it: no Thought."""

    action: str
    action_input: str
    observation: str
    computed: bool = False  # the observation is a value computed from others (a calculator result)


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
