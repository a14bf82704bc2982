"""A formula a story states over its own quantities by their nouns ("3,150 clicks on 210,000 impressions (clicks
divided by impressions, times 100)").

A user who knows how a figure is computed often says so in words, naming the operands by what they count rather
than repeating the numbers. Each noun right after a number names that number; a part of the question (a bracket
or a sentence) that names two of them in operator words is the formula: it is read by `wordmath` with the numbers
put in place of their nouns. Hand-written: no maintained library reads arithmetic stated this way.
"""

from __future__ import annotations

import re

from deployments.agent.language import Language
from deployments.agent.wordmath import parse, tokenize

_PART = re.compile(r"\(([^()]*)\)|([^.?!;:()]+)")


def read_formula(question: str, language: Language) -> str | None:
    """The calculator expression of a formula ``question`` states over its quantities' nouns, or None."""
    names = _names(question, language)
    if len(names) < 2:
        return None
    for match in _PART.finditer(question):
        part = match.group(1) or match.group(2) or ""
        put, told = _put(part, names)
        if told >= 2 and (expression := parse(put, language)) is not None:
            return expression
    return None


def _names(question: str, language: Language) -> dict[str, str]:
    """Each noun said right after one number only -> that number, as the calculator reads it."""
    toks = tokenize(question, language.arithmetic)
    vocabulary = language.arithmetic.words() | language.operator_words() | set(language.stop_words)
    found: dict[str, list[str]] = {}
    for k in range(len(toks) - 1):
        noun = toks[k + 1].text
        if toks[k].number is not None and noun.isalpha() and noun not in vocabulary:  # "5 times", "8 more": no noun
            found.setdefault(noun, []).append(toks[k].number or "")
    return {noun: values[0] for noun, values in found.items() if len(values) == 1}


def _put(part: str, names: dict[str, str]) -> tuple[str, int]:
    """``part`` with each noun of ``names`` that follows no number replaced by its number, and how many distinct
    nouns were replaced; a part that still counts something by one of them ("for 3,150 clicks") states no formula."""
    replaced: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        word = match.group(2)
        if match.group(1) or word.lower() not in names:
            return match.group(0)
        replaced.add(word.lower())
        return names[word.lower()]

    if any(re.search(rf"\d\s+{re.escape(noun)}\b", part, re.IGNORECASE) for noun in names):
        return part, 0
    return re.sub(r"(\d\s+)?\b([A-Za-z]+)\b", swap, part), len(replaced)
