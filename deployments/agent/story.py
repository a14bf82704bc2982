"""Arithmetic told as a short story ("A course has 60 seats and 47 are taken. How many remain?").

`wordmath` reads arithmetic stated in operator words; a story puts nouns and verbs between its numbers
and names each step by a cue instead: a removal ("taken", "used"), a rate ("each", "per", "of"), a
sharing ("split evenly among"), an addition ("more", "in total"). This reader gives each number after
the first the operation its own clause (or the words between it and the number before) cues, in the
language file's `story:` words, and joins them in order under the usual precedence:

    "Each of 12 servers stores 3 certificates and 7 more are kept offline. How many in total?"
    -> 12 * 3 + 7

It answers only when every number after the first has a cue; otherwise it returns None and the
constrained model writes the expression, as before. A count that only says how many items a list
has ("three freezers hold 420, 385 and 510 boxes") and the word "one" as a determiner ("from one
half") are not operands. Hand-written: no maintained library reads English arithmetic stories.
"""

from __future__ import annotations

from dataclasses import dataclass

from deployments.agent.calculator import CalculatorError, evaluate
from deployments.agent.language import Language, StoryWords
from deployments.agent.wordmath import Token, tokenize

_SENTENCE = frozenset(".?!;:")


@dataclass(frozen=True)
class _Quantity:
    at: int  # token index
    value: str  # as the calculator reads it


def read_story(question: str, language: Language) -> str | None:
    """The calculator expression of the arithmetic story ``question`` tells, or None."""
    words = language.arithmetic.story
    if not words.remove:  # a language file without story words reads no story
        return None
    toks = tokenize(question, language.arithmetic)
    quantities = _operands(toks, words)
    if len(quantities) < 2:
        return None
    parts = [quantities[0].value]
    for before, current in zip(quantities, quantities[1:]):
        op = _cue(toks, before, current, words, language)
        if op is None:
            return None
        if op == "-" and len(quantities) == 2 and _year(before) and _year(current) \
                and float(before.value) < float(current.value):
            parts = [current.value, "-", before.value]  # "expires 2046, issued 2021": how many years apart
            continue
        parts += [op, current.value]
    expression = " ".join(parts)
    try:
        evaluate(expression)
    except CalculatorError:
        return None
    return expression


def _operands(toks: list[Token], words: StoryWords) -> list[_Quantity]:
    """The numbers that are operands: less "one" as a determiner and a count of the list that follows it."""
    found = [i for i, t in enumerate(toks) if t.number is not None and t.text not in words.determiners]
    out = []
    for k, i in enumerate(found):
        run, j = 0, k + 1  # the numbers right after it, joined by "," / "and" only: a list of them
        if j < len(found) and found[j] - i <= 5 and not any(
                toks[m].text in _SENTENCE or toks[m].text == "," for m in range(i + 1, found[j])):
            run = 1
            while j + 1 < len(found) and all(toks[m].text in (",", "and") for m in range(found[j] + 1, found[j + 1])):
                run, j = run + 1, j + 1
        value = toks[i].number or ""
        if run >= 2 and value.isdigit() and int(value) == run and not toks[i].text[:1].isdigit():
            continue  # "three freezers hold 420, 385 and 510": how many items the list has
        out.append(_Quantity(i, value))
    return out


def _span(toks: list[Token], at: int, bound: frozenset[str] | set[str]) -> tuple[int, int]:
    """The token range around ``at`` up to the nearest ``bound`` token on each side."""
    start = at
    while start > 0 and toks[start - 1].text not in bound:
        start -= 1
    end = at + 1
    while end < len(toks) and toks[end].text not in bound:
        end += 1
    return start, end


def _clause(toks: list[Token], at: int, words: StoryWords) -> list[str]:
    """The words of the clause token ``at`` stands in (a sentence cut at commas and the story's boundaries)."""
    start, end = _span(toks, at, _SENTENCE | {","} | set(words.boundaries))
    return [t.text for t in toks[start:end]]


def _sentence(toks: list[Token], at: int) -> tuple[int, int]:
    return _span(toks, at, _SENTENCE)


def _holds(texts: list[str], phrases: list[str]) -> str | None:
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        parts = phrase.split()
        if any(texts[i: i + len(parts)] == parts for i in range(len(texts) - len(parts) + 1)):
            return phrase
    return None


def _cue(toks: list[Token], before: _Quantity, current: _Quantity, words: StoryWords,
         language: Language) -> str | None:
    """The operation that joins ``current`` to the story so far, or None when no word cues one. Nearest
    first: an operator word right before it, then its own clause's cue, then the words that bind it to the
    number before (a rate), then the question's."""
    between = [t.text for t in toks[before.at + 1: current.at]]
    own = _clause(toks, current.at, words)
    bound = _SENTENCE | {","} | set(words.boundaries)
    joined = not any(w in bound for w in between)  # one clause holds both numbers
    infix = [(op, p) for op, phrases in language.arithmetic.infix.items() for p in phrases if p.isalpha() or " " in p]
    for op, phrase in sorted(infix, key=lambda f: -len(f[1].split())):  # "minus 161", "times 3"
        parts = phrase.split()
        if between[-len(parts):] == parts:
            return op
    if _holds(between, words.share) or _holds(own, words.share):
        return "/"
    if _holds(own, words.remove):
        return "-"
    if joined and (_holds(between, words.rate) or between[-1:] and between[-1] in words.of_rate) \
            or _holds(own, words.rate):
        return "*"
    if _holds(own, words.add):
        return "+"
    if _rate_after(toks, before, words) or _per_item(toks, before, current, words, language):
        return "*"
    asks_time = language.asks_time(_text(toks))
    if _year(before) and _year(current) and asks_time:
        return "-"
    question = [t.text for t in toks]
    if _holds(question, words.rest) and not _holds(_clause(toks, before.at, words), words.remove):
        return "-"  # "How many are left?": what the later numbers take away from the first
    if _holds(question, words.add):
        return "+"
    if _year(before) and not _year(current) and asks_time:
        return "+"  # "issued in 2017, valid for 25 years: in which year does it expire?"
    return None


def _rate_after(toks: list[Token], before: _Quantity, words: StoryWords) -> bool:
    """A rate right after the number before, in its clause ("1,250 handshakes per second")."""
    start, end = _sentence(toks, before.at)
    after = [t.text for t in toks[before.at + 1: end]]
    return bool(_holds(after[:3], words.rate))


def _per_item(toks: list[Token], before: _Quantity, current: _Quantity, words: StoryWords, language: Language) -> bool:
    """ "A rack holds 144 tubes ... 23 racks": the first number is per one item the second counts."""
    start, _ = _sentence(toks, before.at)
    head = [t.text for t in toks[start: before.at]]
    items = {head[k + 1] for k in range(len(head) - 1) if head[k] in words.determiners or head[k] in ("a", "an")}
    items |= {head[k + 2] for k in range(len(head) - 2) if head[k] in words.determiners or head[k] in ("a", "an")}
    counted = [t.text for t in toks[current.at + 1: current.at + 3]]
    return any(language.same_word(i, c) or c.rstrip("s") == i for i in items for c in counted if c.isalpha())


def _year(q: _Quantity) -> bool:
    return q.value.isdigit() and len(q.value) == 4 and 1000 <= int(q.value) <= 2999


def _text(toks: list[Token]) -> str:
    return " ".join(t.text for t in toks)
