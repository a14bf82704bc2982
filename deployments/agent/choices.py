"""What the model may write, as lists of things that exist, for constrained decoding (`guided_choice`).

Every decision of the improved loop is a choice: a search query is a span of the question, a
calculator expression combines numbers seen in the question or the observations with free
operators and parentheses, and a final answer is a span of an observation or a calculator result.
Nothing here knows a corpus or a phrasing: spans are runs of words that do not cross punctuation,
numbers are digit runs. Why lists and not a grammar: the LLM server's constrained decoding is a
token trie over choices (`deployments/llm/guided.py`); a bounded enumeration is the same language
for the short expressions a question needs, and the trie lets the model pick greedily token by token.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from deployments.agent.calculator import CalculatorError, evaluate, format_number

MAX_CHOICES = 256  # the LLM server's limit on one guided_choice list
_WORD = re.compile(r"\S+")
_EDGE = "\"'`.,;:!?()[]{}<>"
_BREAK = re.compile(r"[.,;:!?)\]}>\"']$")  # a word ending so closes a phrase: spans do not run past it
_OPEN = re.compile(r"^[(\[{<\"']")  # a word starting so opens one: spans do not run into it
_DOC_ID = re.compile(r"^\s*\[[^\]]*\]\s*|\s\[[^\]]*\]\s")  # "[doc-3] " markers the search tool adds
_NUMBER = re.compile(r"(?<![\w.\-+:~/])\d[\d,]*(?:\.\d+)?(?![\w]|\.\d)")
OPERATORS = ("+", "-", "*", "/")


def spans(text: str, max_words: int) -> list[str]:
    """Distinct runs of 1..max_words words of ``text`` that do not cross punctuation, edges trimmed,
    longest phrases of each start first."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    found: dict[str, None] = {}
    for i in range(len(words)):
        for j in range(i, min(len(words), i + max_words)):
            if j > i and _OPEN.search(words[j][2]):
                break
            span = text[words[i][0]: words[j][1]].strip(_EDGE).strip()
            if span:
                found.setdefault(span)
            if _BREAK.search(words[j][2]):
                break
    return list(found)


def observation_text(observation: str) -> str:
    """The observation without the search tool's "[doc-id]" markers (storage keys, not content)."""
    return _DOC_ID.sub(" ", observation).strip()


def numbers(text: str) -> list[str]:
    """Distinct numbers of ``text`` in order, thousands separators removed ("1,200" -> "1200")."""
    return list(dict.fromkeys(m.group().replace(",", "") for m in _NUMBER.finditer(text)))


def expressions(question_numbers: Sequence[str], seen_numbers: Sequence[str], limit: int = MAX_CHOICES) -> list[str]:
    """Calculator inputs over numbers that exist: first every expression of the question's own
    numbers in their order (up to four, any operators, flat or with one pair of parentheses: the
    question states the arithmetic), then every ``a op b`` over all numbers seen (the question's
    and the observations': sums and differences of looked-up values)."""
    found: dict[str, None] = {}
    ordered = list(question_numbers)[:4]
    if len(ordered) >= 2:
        for ops in itertools.product(OPERATORS, repeat=len(ordered) - 1):
            for text in _shapes(ordered, ops):
                found.setdefault(text)
    pool = list(dict.fromkeys([*question_numbers, *seen_numbers]))
    for a, b in itertools.permutations(pool, 2):
        for op in OPERATORS:
            found.setdefault(f"{a} {op} {b}")
    return [text for text in found if _computable(text)][:limit]


def _shapes(values: Sequence[str], ops: Sequence[str]) -> list[str]:
    flat = " ".join(itertools.chain.from_iterable(zip(values, ops))) + f" {values[-1]}"
    shapes = [flat]
    if len(values) == 3:
        a, b, c = values
        shapes += [f"({a} {ops[0]} {b}) {ops[1]} {c}", f"{a} {ops[0]} ({b} {ops[1]} {c})"]
    return shapes


def _computable(text: str) -> bool:
    try:
        evaluate(text)
    except CalculatorError:
        return False
    return True


@dataclass(frozen=True)
class Candidate:
    """A final answer the model may pick, and where it was seen (step index, source kind)."""

    text: str
    step: int
    kind: str  # "observation" or "calculation"


def answer_candidates(observed: Iterable[tuple[int, str, bool]], max_words: int,
                      limit: int = MAX_CHOICES) -> list[Candidate]:
    """Calculator results (latest first), then spans of each observation (latest first).

    ``observed`` holds (step index, observation, is_calculation); error observations give nothing.
    """
    observed = [item for item in observed if not item[1].startswith("Error:")]
    found: dict[str, Candidate] = {}
    for step, text, is_calculation in reversed(observed):
        if is_calculation:
            found.setdefault(text.strip(), Candidate(text.strip(), step, "calculation"))
    for step, text, is_calculation in reversed(observed):
        if not is_calculation:
            for span in spans(observation_text(text), max_words):
                found.setdefault(span, Candidate(span, step, "observation"))
    return list(found.values())[:limit]


def computed(expression: str) -> str | None:
    """The calculator's value of ``expression``, formatted, or None."""
    try:
        return format_number(evaluate(expression))
    except CalculatorError:
        return None
