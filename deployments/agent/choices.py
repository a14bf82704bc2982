"""The things that exist, from which the improved loop's grammars (`grammars.py`) are built.

A search query is a span of the question, a calculator expression combines numbers seen in the
question or the observations, and a final answer is a span of an observation or a calculator
result. Nothing here knows a corpus or a phrasing: spans are runs of words, numbers are digit runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from deployments.agent.calculator import CalculatorError, evaluate, format_number

_WORD = re.compile(r"\S+")
_EDGE = "\"'`.,;:!?()[]{}<>"
_BREAK = re.compile(r"[.,;:!?)\]}>\"']$")  # a word ending so closes a phrase: spans do not run past it
_OPEN = re.compile(r"^[(\[{<\"']")  # a word starting so opens one: spans do not run into it
_DOC_ID = re.compile(r"^\s*\[[^\]]*\]\s*|\s\[[^\]]*\]\s")  # "[doc-3] " markers the search tool adds
_NUMBER = re.compile(r"(?<![\w.\-+:~/])\d[\d,]*(?:\.\d+)?(?![\w]|\.\d)")
_WHOLE_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


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


def numbers(text: str, distinct: bool = True) -> list[str]:
    """Numbers of ``text`` in order (distinct ones unless ``distinct`` is False), thousands
    separators removed ("1,200" -> "1200")."""
    found = [m.group().replace(",", "") for m in _NUMBER.finditer(text)]
    return list(dict.fromkeys(found)) if distinct else found


def numbers_beside(text: str) -> dict[str, list[str]]:
    """Each word of ``text`` that stands right before or after a number (edges trimmed, lower-cased)
    -> those numbers, in order: the label a document gives a value ("numeric code 533", "has 45
    employees", "installed size 388 kB"). A word shared with a question tells which value it asks."""
    tokens = [w.strip(_EDGE) for w in _WORD.findall(text)]
    beside: dict[str, list[str]] = {}
    for i, token in enumerate(tokens):
        if not _WHOLE_NUMBER.fullmatch(token):
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens) and tokens[j] and not _WHOLE_NUMBER.fullmatch(tokens[j]):
                values = beside.setdefault(tokens[j].lower(), [])
                if token.replace(",", "") not in values:
                    values.append(token.replace(",", ""))
    return beside


def beside_label(text: str, question: str, name: str, max_words: int = 8, stop_words: frozenset[str] = frozenset(),
                 kind_words: Sequence[str] = ()) -> list[str]:
    """The words of ``text`` that a phrase of ``question`` labels: the longest question phrase away
    from ``name`` (neither in it nor right beside it) that ``text`` holds ("the numeric code" in
    "... MOZ and the numeric code 508."), then the words right after it ("508.") and right before it
    ("MOZ and"), each up to punctuation or a word of the question (a value comes after its label, as
    "Version 1.2", or before, as "60 employees"; a name before a colon, as "libfoo: the foo library"). Empty when no phrase is held or the labelled words
    hold the name (a reverse lookup: the label describes the name, not the answer).

    A phrase of function words only (``stop_words``: "is the") labels nothing. A question that asks
    for a kind of thing ("Which office ...": a word of ``kind_words`` then a content word) asks for
    what the text writes beside that word ("The Nagoya office opened"), up to a function word or
    punctuation, outside the text's own copy of ``name``; that word is never a label of another
    value; asked by its description ("Which product is a warehouse robot?"), it is the words beside
    the text's copy of that description ("Tessera"). Words that are all function words ("It") are
    never the answer."""
    tokens = _WORD.findall(text)
    keys = [w.strip(_EDGE).lower() for w in tokens]
    asked = {w.strip(_EDGE).lower() for w in question.split()}
    named = {w.strip(_EDGE).lower() for w in name.split()}
    at = question.lower().find(name.lower())
    if at < 0:
        return []
    kind = asked_kind(question, stop_words, kind_words)
    if kind is not None:
        ends = asked | set(stop_words)
        beside = _beside_kind(tokens, keys, kind, _covered(keys, name), ends) or \
            _beside_description(tokens, keys, question, stop_words, ends)
        if beside:
            return beside
    # the words right beside the name belong to it ("the Tessera robot"), not to the asked label
    pieces = [" ".join(question[:at].split()[:-1]), " ".join(question[at + len(name):].split()[1:])]
    phrases = [p.lower().split() for piece in pieces for p in spans(piece, max_words)]
    phrases = [p for p in phrases if not named & set(p) and kind not in p
               and not all(w.strip(_EDGE) in stop_words for w in p)]
    for phrase in sorted(phrases, key=lambda p: (-len(p), -len(" ".join(p)))):
        at = _find(keys, phrase)
        if at is None:
            continue
        before, after = _words_around(tokens, keys, at, at + len(phrase), asked)
        # words that are all function words ("It") are no value
        pieces = [" ".join(words) for words in (after, before)
                  if words and not all(w.strip(_EDGE).lower() in stop_words for w in words)]
        if not pieces or any(named & {w.strip(_EDGE).lower() for w in piece.split()} for piece in pieces):
            return []
        return pieces
    return []


def asked_kind(question: str, stop_words: frozenset[str], kind_words: Sequence[str]) -> str | None:
    """The kind of thing a question asks for: the content word right after one of ``kind_words``
    ("office" in "Which office works with ..."), or None."""
    keys = [w.strip(_EDGE).lower() for w in _WORD.findall(question)]
    for i, key in enumerate(keys[:-1]):
        if key in kind_words and keys[i + 1] and keys[i + 1] not in stop_words:
            return keys[i + 1]
    return None


def _beside_description(tokens: list[str], keys: list[str], question: str, stop_words: frozenset[str],
                        ends: set[str], max_words: int = 12) -> list[str]:
    """For a question asking for a kind of thing by its description ("Which product is a warehouse
    robot?"): the words right before and after the longest span of the question (two content words at
    least) that the text holds ("Tessera" in "Tessera is a warehouse robot."; "libfoo:" before
    "libfoo: the foo library"), each up to a word of ``ends`` or punctuation."""
    phrases = [p.lower().split() for p in spans(question, max_words)]
    phrases = [[w.strip(_EDGE) for w in p] for p in phrases]
    phrases = [p for p in phrases if sum(w not in stop_words for w in p) >= 2]
    for phrase in sorted(phrases, key=lambda p: (-len(p), -len(" ".join(p)))):
        at = _find(keys, phrase)
        if at is None:
            continue
        before, after = _words_around(tokens, keys, at, at + len(phrase), ends)
        return [" ".join(words) for words in (before, after) if words]
    return []


def _find(keys: list[str], phrase: list[str]) -> int | None:
    """Where ``phrase`` first starts in ``keys``, or None."""
    return next((i for i in range(len(keys) - len(phrase) + 1) if keys[i: i + len(phrase)] == phrase), None)


def _words_around(tokens: list[str], keys: list[str], at: int, end: int, ends: set[str],
                  colon_introduces: bool = True) -> tuple[list[str], list[str]]:
    """The tokens right before ``at`` and from ``end`` on, each run stopping at a word of ``ends``, an
    empty word or punctuation. A word ending a clause belongs to the one before, but with
    ``colon_introduces`` a colon right before introduces the phrase ("libfoo: ..."); nothing follows a
    phrase that itself ends a clause."""
    before: list[str] = []
    for k in range(at - 1, -1, -1):
        if keys[k] in ends or not keys[k] or (
                _BREAK.search(tokens[k]) and not (colon_introduces and k == at - 1 and tokens[k][-1] == ":")):
            break
        before.insert(0, tokens[k])
    after: list[str] = []
    for k in range(end, len(tokens)) if not _BREAK.search(tokens[end - 1]) else ():
        if keys[k] in ends or not keys[k]:
            break
        after.append(tokens[k])
        if _BREAK.search(tokens[k]):
            break
    return before, after


def _covered(keys: list[str], name: str) -> set[int]:
    """The token positions of ``keys`` where ``name`` itself is written."""
    target = [w for w in (t.strip(_EDGE).lower() for t in name.split()) if w]
    covered: set[int] = set()
    for i in range(len(keys) - len(target) + 1):
        if target and keys[i: i + len(target)] == target:
            covered.update(range(i, i + len(target)))
    return covered


def _beside_kind(tokens: list[str], keys: list[str], kind: str, covered: set[int], ends: set[str]) -> list[str]:
    """The words right before and after the first ``kind`` outside ``covered``, each up to a word of
    ``ends`` (the question's words and function words) or punctuation."""
    for i, key in enumerate(keys):
        if key != kind or i in covered:
            continue
        before, after = _words_around(tokens, keys, i, i + 1, ends, colon_introduces=False)
        return [" ".join(words) for words in (before, after) if words]
    return []


def same_word(a: str, b: str) -> bool:
    """The same word, or one a short ending longer than a word of four letters or more ("code" /
    "codes", "open" / "opened"): a question and a document inflect a label differently."""
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 2)


def cut_phrases(text: str, phrases: Iterable[str], min_words: int = 1) -> list[str]:
    """``text`` split into the pieces left once every run of words matching one of ``phrases``
    (case-insensitively, edge punctuation ignored, at least ``min_words`` long) is cut out: the
    guards use it to keep a grammar from writing what the question already says, or a query that
    was already searched."""
    tokens = _WORD.findall(text)
    keys = [w.strip(_EDGE).lower() for w in tokens]
    cut = [False] * len(tokens)
    for phrase in phrases:
        target = [w.strip(_EDGE).lower() for w in phrase.split()]
        target = [w for w in target if w]
        if len(target) < min_words or not target:
            continue
        for i in range(len(keys) - len(target) + 1):
            if keys[i: i + len(target)] == target:
                cut[i: i + len(target)] = [True] * len(target)
    pieces, current = [], []
    for token, removed in zip(tokens, cut):
        if removed:
            if current:
                pieces.append(" ".join(current))
            current = []
        else:
            current.append(token)
    if current:
        pieces.append(" ".join(current))
    return pieces


@dataclass(frozen=True)
class Candidate:
    """A final answer the model may pick, and where it was seen (step index, source kind)."""

    text: str
    step: int
    kind: str  # "observation" or "calculation"


def answer_candidates(observed: Iterable[tuple[int, str, bool]]) -> list[Candidate]:
    """Calculator results (latest first), then each observation's text (latest first), whose spans
    are the answers (`grammars.span_grammar`).

    ``observed`` holds (step index, observation, is_calculation); error observations give nothing.
    A text seen at several steps keeps its latest place in the order but its first step: a document
    the plan looked up and the loop searched again is still one the plan named.
    """
    observed = [item for item in observed if not item[1].startswith("Error:")]
    found: dict[tuple[str, str], Candidate] = {}
    for wanted in ("calculation", "observation"):
        for step, text, is_calculation in reversed(observed):
            kind = "calculation" if is_calculation else "observation"
            value = text.strip() if is_calculation else observation_text(text)
            if kind == wanted and value:
                found[(kind, value)] = Candidate(value, step, kind) if (kind, value) not in found else \
                    Candidate(value, min(step, found[(kind, value)].step), kind)
    return list(found.values())


def source_of(answer: str, candidates: Sequence[Candidate]) -> Candidate | None:
    """The candidate ``answer`` was written from: a calculation it equals, else the latest
    observation holding it."""
    for candidate in candidates:
        if candidate.kind == "calculation" and candidate.text == answer:
            return candidate
    for candidate in candidates:
        if candidate.kind == "observation" and answer and answer in candidate.text:
            return candidate
    return None


def computed(expression: str) -> str | None:
    """The calculator's value of ``expression``, formatted, or None."""
    try:
        return format_number(evaluate(expression))
    except CalculatorError:
        return None
