"""Grounded final answers: the answer is chosen, by constrained decoding, among the values the
observations actually contain (numbers and multi-word names).

Why: a 135M model asked to write an answer freely copies numbers from the prompt's worked
examples or invents them; choosing among observed values keeps the fluency of the model's choice
and removes invention. With no candidates, the answer is generated freely.
"""

from __future__ import annotations

import re
from typing import Iterable

_DOC_ID = re.compile(r"\[[^\]]*\]")
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
_NAME = re.compile(r"\b(?!The |A |An )[A-Z][a-z]+(?: [A-Z][a-z]+)+\b")
MAX_CANDIDATES = 200


def answer_candidates(observations: Iterable[str]) -> list[str]:
    """Distinct numbers (commas removed) and capitalised multi-word names, in order of appearance."""
    seen: dict[str, None] = {}
    for observation in observations:
        if observation.startswith("Error:"):
            continue
        text = _DOC_ID.sub(" ", observation)
        for match in sorted([*_NUMBER.finditer(text), *_NAME.finditer(text)], key=lambda m: m.start()):
            value = match.group().replace(",", "") if match.re is _NUMBER else match.group()
            seen.setdefault(value.rstrip("."), None)
    return list(seen)[:MAX_CANDIDATES]
