"""A result asked rounded ("60525 divided by 1113, rounded to two decimals"): the clause that asks it is no step of
the arithmetic, so it is set apart before the question is read, and its places round the calculator's result.
Hand-written: a few phrases of the language file, read with one regular expression."""

from __future__ import annotations

import re

from deployments.agent.language import ArithmeticWords


def _either(phrases: list[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


def rounding(question: str, words: ArithmeticWords) -> tuple[str, int | None]:
    """``question`` without its rounding clause, and the decimal places that clause asks (None: none asked)."""
    asked = words.rounding
    if not asked.verbs or not (asked.places or asked.whole):
        return question, None
    count = _either([*words.number_words, r"\d"]).replace(r"\\d", r"\d+")
    places = rf"(?P<count>{count})[ -]?(?:{_either(asked.places)})" if asked.places else "(?!)"
    whole = rf"(?P<whole>{_either(asked.whole)})" if asked.whole else "(?!)"
    joined = rf"(?:\b(?:{_either(words.story.boundaries)})\s+)?" if words.story.boundaries else ""  # "and round"
    found = re.search(rf",?\s*{joined}\b(?:{_either(asked.verbs)})\b[^.?!\d]{{0,30}}?(?:{places}|{whole})(?!\w)",
                      question, re.IGNORECASE)
    if found is None:
        return question, None
    if found.group("whole"):
        digits = 0
    else:
        written = found.group("count").lower()
        digits = int(written) if written.isdigit() else words.number_words.get(written)
        if digits is None:
            return question, None
    return (question[: found.start()] + question[found.end():]).strip(), digits


def rounded(value: float | int, places: int | None) -> float | int:
    """``value`` rounded to ``places`` decimals (none asked: as it is)."""
    if places is None:
        return value
    value = round(value, places)
    return int(value) if places == 0 else value
