"""Grounded final answers: the answer is chosen, by constrained decoding, among the values the
observations actually contain (numbers and multi-word names).

Why: a 135M model asked to write an answer freely copies numbers from the prompt's worked
examples or invents them; choosing among observed values keeps the fluency of the model's choice
and removes invention. With no candidates, the answer is generated freely.

The question's expected answer type narrows the candidates, as classic QA systems do: "who"
questions want a name, "how many / how much / which year / what is 3 * 4" want a number. The
evaluation showed why: asked "Who is the chief executive officer?", the model chose the year it
saw next to her name.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Iterable

_DOC_ID = re.compile(r"\[[^\]]*\]")
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
_NAME = re.compile(r"\b(?!The |A |An )[A-Z][a-z]+(?: [A-Z][a-z]+)+\b")
MAX_CANDIDATES = 200
_WANTS_NAME = re.compile(r"^\s*(who|whom|whose)\b", re.IGNORECASE)
_WANTS_NUMBER = re.compile(r"^\s*(how (many|much|long|old|far)|by how|in (which|what) year|what year|when|"
                           r"what is [-\d(. ]+[-+*/^])", re.IGNORECASE)


def expected_answer_type(question: str) -> str | None:
    """"name", "number", or None when the question does not say."""
    if _WANTS_NAME.search(question):
        return "name"
    if _WANTS_NUMBER.search(question):
        return "number"
    return None


def answer_candidates(observations: Iterable[str], question: str = "") -> list[str]:
    """Distinct numbers (commas removed) and capitalised multi-word names, in order of appearance.

    Values the ``question`` states are dropped; with a question whose answer type is clear, only
    candidates of that type are kept (each filter is skipped when it would leave nothing).
    """
    found = _candidates(observations)
    # A value the question itself states is not its answer ("What was the revenue in 2023?" is not 2023).
    in_question = {value for value, _ in _candidates([question])}
    found = [pair for pair in found if pair[0] not in in_question] or found
    wanted = expected_answer_type(question)
    if wanted is not None:
        typed = [value for value, kind in found if kind == wanted]
        if typed:
            return typed[:MAX_CANDIDATES]
    return [value for value, _ in found][:MAX_CANDIDATES]


def _candidates(observations: Iterable[str]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for observation in observations:
        if observation.startswith("Error:"):
            continue
        text = _DOC_ID.sub(" ", observation)
        for match in sorted([*_NUMBER.finditer(text), *_NAME.finditer(text)], key=lambda m: m.start()):
            is_number = match.re is _NUMBER
            value = match.group().replace(",", "") if is_number else match.group()
            seen.setdefault(value.rstrip("."), "number" if is_number else "name")
    return list(seen.items())


def unobserved_numbers(expression: str, question: str, observations: Iterable[str]) -> list[str]:
    """Numbers of a calculator expression that neither the question nor any observation contains.

    Why: in the evaluation the model computed "45 + 1" for "Dublin and Nagoya together" after
    seeing only Dublin's 45: an invented operand. Refusing it with a precise Observation (fix 2)
    sends the model to look the number up instead.
    """
    known = {canonical_number(value) for value, kind in _candidates([question, *observations]) if kind == "number"}
    operands = [m.group() for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", expression)]
    return [n for n in dict.fromkeys(operands) if canonical_number(n) not in known]


def canonical_number(text: str) -> str | None:
    """"1,200.0" -> "1200", exactly (no float rounding); None when ``text`` is not one number."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    value = value.normalize()
    return format(value if value != 0 else Decimal(0), "f")


_EXPRESSION = re.compile(r"[(\d][\d.,\s()]*(?:[-+*/^][\s(]*\d[\d.,\s()]*)+")


def question_expressions(question: str) -> list[str]:
    """Arithmetic expressions the question states verbatim ("What is (48 - 12) / 4?" -> "(48 - 12) / 4").

    Why: asked for 144 / 12 + 7, the model typed "144 + 7" into the calculator; when the question
    holds the expression, the calculator's input is chosen among these by constrained decoding.
    """
    found = []
    for match in _EXPRESSION.finditer(question):
        expression = match.group().strip().rstrip(".,").strip()
        if expression.count("(") == expression.count(")") and expression not in found:
            found.append(expression)
    return found
