"""Self-consistency voting: answers normalised, then the most frequent one wins.

Hand-written: no maintained library normalises free-text answers and votes on them (the
self-consistency paper's code and SQuAD's evaluation script each carry their own few lines).
The text rule is SQuAD's `normalize_answer`; the number rule is ours, for an agent over company
documents whose answers are mostly figures:

- **Numeric answers**: an answer holding exactly one number votes as that number in canonical
  form: thousands separators dropped, trailing zeros dropped ("1,200.0" -> "1200", "1.50" ->
  "1.5"), and everything around it ignored: currency signs, units and scale words ("$118 million",
  "118 employees" and "118" vote together). Why: grounded answers are bare values ("118") while a
  free answer copies the document's wording ("$118 million"); within one question's samples a format
  difference is far likelier than two samples meaning different scales. An answer with two or more
  numbers ("between 2012 and 2018", a date) is compared as text.
- **Text answers**: lowercase, punctuation and the articles a/an/the removed, spaces collapsed.
- **No answer**: an empty answer, the improved loop's NO_ANSWER or the classic loop's forced stop
  vote only when no run answered, so "I could not find it" never outvotes one real answer.
- **Ties**: the group whose first answer came earliest (lowest sample index) wins: deterministic.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Sequence

from deployments.agent.react import NO_ANSWER

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?![\d])")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation})
# The canned texts of runs that ended without an answer, compared by prefix: the improved loop's, and
# the start of LangChain's "Agent stopped due to iteration limit or time limit." (classic.FORCED_STOP).
NO_ANSWER_TEXTS = (NO_ANSWER, "Agent stopped due to iteration limit")


@dataclass(frozen=True)
class Vote:
    """One group of equal (normalised) answers: how many runs gave it and which came first."""

    answer: str
    count: int
    first: int  # index of the earliest answer in the group
    answered: bool  # False for the group of runs that ended without an answer

    def to_dict(self) -> dict:
        return {"answer": self.answer, "count": self.count}


def canonical_number(text: str) -> str | None:
    """"1,200.0" -> "1200", exactly (no float rounding); None when ``text`` is not one number."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    value = value.normalize()
    return format(value if value != 0 else Decimal(0), "f")


def is_no_answer(text: str) -> bool:
    """The run ended without an answer: empty, or one of the loops' canned texts."""
    text = text.strip()
    return not text or any(text.startswith(marker) for marker in NO_ANSWER_TEXTS)


def normalise_answer(text: str) -> str:
    """The form answers are compared in (see the module docstring for the rules)."""
    text = unicodedata.normalize("NFKC", text).strip()
    numbers = _NUMBER.findall(_THOUSANDS.sub("", text))
    if len(numbers) == 1:
        number = canonical_number(numbers[0])
        if number is not None:
            return number
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def majority(answers: Sequence[str]) -> tuple[int | None, list[Vote]]:
    """(index of the winning answer, votes most first); (None, []) for no answers.

    The winner is the earliest answer of the largest group of answering runs; runs without an
    answer form their own groups, listed after every answering group, and win only when no run answered.
    """
    groups: dict[tuple[bool, str], list[int]] = {}
    for i, text in enumerate(answers):
        key = normalise_answer(text)
        answered = bool(key) and not is_no_answer(text)  # "the." normalises to nothing: no answer either
        groups.setdefault((answered, key), []).append(i)
    votes = [Vote(key, len(indices), indices[0], answered) for (answered, key), indices in groups.items()]
    votes.sort(key=lambda vote: (not vote.answered, -vote.count, vote.first))
    return (votes[0].first if votes else None), votes
