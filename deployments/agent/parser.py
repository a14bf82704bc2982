"""Reading model output: the classic regex parser, and the cleaning the improved loop applies.

`parse_classic` reproduces LangChain's `ReActSingleInputOutputParser` (the regex of the
`hwchase17/react` agent), so the naive baseline fails the way the original does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FINAL_ANSWER = "Final Answer"
# LangChain's ReActSingleInputOutputParser regex, unchanged.
_ACTION = re.compile(r"Action\s*\d*\s*:[\s]*(.*?)[\s]*Action\s*\d*\s*Input\s*\d*\s*:[\s]*(.*)", re.DOTALL)
_FINAL = "Final Answer:"
# Where a model starts writing the backend's part (fix 5): everything from here on is discarded.
_HALLUCINATION = re.compile(r"\n?\s*(Observation|Question|Thought|Action)\s*\d*\s*:", re.IGNORECASE)


class ParseError(ValueError):
    pass


@dataclass(frozen=True)
class Action:
    tool: str
    tool_input: str
    log: str


@dataclass(frozen=True)
class Finish:
    answer: str
    log: str


def parse_classic(text: str) -> Action | Finish:
    """LangChain's parser: an Action with its Action Input, or a Final Answer; else ParseError."""
    match = _ACTION.search(text)
    has_final = _FINAL in text
    if match and has_final:
        raise ParseError("Parsing LLM output produced both a final answer and a parse-able action")
    if match:
        return Action(match.group(1).strip(), match.group(2).strip(" ").strip('"'), text)
    if has_final:
        return Finish(text.split(_FINAL)[-1].strip(), text)
    if not re.search(r"Action\s*\d*\s*:[\s]*(.*?)", text, re.DOTALL):
        raise ParseError("Invalid Format: Missing 'Action:' after 'Thought:'")
    raise ParseError("Invalid Format: Missing 'Action Input:' after 'Action:'")


def cut_hallucination(text: str) -> str:
    """``text`` up to where the model starts inventing the next Observation, Thought or Action."""
    match = _HALLUCINATION.search(text)
    return text[: match.start()] if match else text


def clean_field(text: str) -> str:
    """One field's value: hallucinated continuation cut, first line only, whitespace trimmed."""
    first_line = cut_hallucination(text).strip().split("\n", 1)[0]
    return first_line.strip()
