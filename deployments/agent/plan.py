"""The plan step: before the loop, look up each thing the question names, one search per thing.

A question that names two things ("the combined size of A and B", "A minus B") needs both looked
up; a 135M model searches the first and then answers. The plan finds the named things from
structure, not from words: a span of the question names a document when, among the documents a
keyword search for that span returns, exactly one holds the span itself (a common phrase such as
"installed size" is in all of them; a name such as "libcairo2" or "Lyon" is in one). Each named
document is shown once, as a search Observation with the shortest span naming it as the query, in
the order the question names them. A span that starts or ends with one of the language's function
words (`language.Language.stop_words`: "than", "is the", "the Tessera") is not a name: in a small
corpus one document may happen to hold it. The loop then goes on from there (the calculator over the
looked-up numbers, or the answer). Keyword search keeps the plan cheap (no embedding per span).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any, Sequence

from deployments.agent.choices import same_word, spans
from deployments.agent.language import load_language
from deployments.agent.tools import Documents, SearchTool

logger = logging.getLogger("ray.serve")
_LETTER = re.compile(r"[^\W\d_]")
_TOKEN = re.compile(r"[^\W_]+")
_EDGE = "\"'`.,;:!?()[]{}<>"


@dataclass(frozen=True)
class Lookup:
    """One planned search: the span that names the document, and the document."""

    query: str
    hit: dict[str, Any]
    position: int  # where the span starts in the question


def _per_word(span: str, hit: dict[str, Any]) -> float:
    """The keyword score of the span's best hit per word of the span, as a keyword index splits words
    (at every mark that is not a letter or digit: "libxcb-dri2-0" is three): rare words score high, and
    a name that the index splits is not worth three of another."""
    return float(hit.get("score", 1.0)) / max(1, len(_TOKEN.findall(span)))


def _holds(text: str, phrase: str) -> bool:
    """``text`` holds ``phrase`` as whole words, written the same way (a name keeps its letter case:
    "DO" is not "do"), but for the first letter, which a sentence start capitalises ("the" / "The")."""
    first = re.escape(phrase[0].lower()) if phrase[0].lower() == phrase[0].upper() else \
        f"[{re.escape(phrase[0].lower())}{re.escape(phrase[0].upper())}]"
    pattern = r"(?<![\w-])" + first + re.escape(phrase[1:]) + r"(?![\w-])"
    return re.search(pattern, text) is not None


class EntityPlan:
    def __init__(self, documents: Documents, search: SearchTool, k: int = 5, max_words: int = 6,
                 max_lookups: int = 3, min_score_ratio: float = 0.5, max_holders: int = 2,
                 mode: str = "keyword", stop_words: frozenset[str] = frozenset()) -> None:
        self.documents, self.search, self.stop_words = documents, search, stop_words
        self.k, self.max_words, self.max_lookups, self.mode = k, max_words, max_lookups, mode
        self.min_score_ratio, self.max_holders = min_score_ratio, max_holders

    async def lookups(self, question: str) -> list[Lookup]:
        """The documents the question names, each with the shortest span naming it, in question order."""
        # a span that starts or ends with a function word ("than", "is the", "the Tessera") is not a name,
        # however few documents hold it: the name is the span without it
        candidates = [s for s in spans(question, self.max_words) if _LETTER.search(s) and not self._common(s)]
        found = await asyncio.gather(*(self._names(span, question) for span in candidates))
        named = [(span, hit) for span, hit in zip(candidates, found) if hit is not None]
        if not named:
            return []
        # a name is rare: its keyword score is near the best of the question's names, while a span of
        # common words that happens to be held by one hit scores far below
        floor = self.min_score_ratio * max(_per_word(span, hit) for span, hit in named)
        named = [(span, hit) for span, hit in named if _per_word(span, hit) >= floor]
        # a span inside a longer one that names another document is part of that name, not a name;
        # unless its own document holds more of the question's other words ("How much does the Tessera
        # robot cost?": "Tessera" names the product, which "costs", over a record that mentions "the
        # Tessera robot"), and then the longer span is the one dropped
        beaten: set[tuple[str, str]] = set()  # (span, document) pairs a name inside them beat
        kept: list[tuple[str, dict[str, Any]]] = []
        for span, hit in named:
            outer = [(o, oh) for o, oh in named if span != o and span in o and hit["id"] != oh["id"]]
            if outer and all(self._shares(hit, o, question) > self._shares(oh, o, question) for o, oh in outer):
                beaten.update((o, oh["id"]) for o, oh in outer)
            elif outer:
                continue
            kept.append((span, hit))
        best: dict[str, Lookup] = {}
        for span, hit in kept:
            if any(span in o and hit["id"] == doc for o, doc in beaten):
                continue  # the beaten span, or a piece of it naming the same document
            current = best.get(hit["id"])
            if current is None or len(span) < len(current.query):
                best[hit["id"]] = Lookup(span, hit, question.find(span))
        return sorted(best.values(), key=lambda lk: lk.position)[: self.max_lookups]

    def _common(self, span: str) -> bool:
        edges = [w.strip(_EDGE).lower() for w in span.split()]
        return not edges or edges[0] in self.stop_words or edges[-1] in self.stop_words

    async def _names(self, span: str, question: str) -> dict[str, Any] | None:
        try:
            hits = await self.documents.search(span, self.k, self.mode)
        except Exception:  # noqa: BLE001 - a span the search cannot parse names nothing; the loop can still search
            logger.debug("plan search failed for %r", span, exc_info=True)
            return None
        holding = [hit for hit in hits if _holds(hit["text"], span)]
        # the best-ranked hit that holds the span, when few others do (a name can recur, as "Ireland"
        # does in "Northern Ireland"; a common word is held by many)
        if holding and len(holding) <= self.max_holders:
            return holding[0]
        # a name a few documents hold ("Lyon": an office, a founding place): the one holding the most
        # other content words of the question ("employees", "offices"), when one does. Only when the
        # search found fewer than k documents at all, so the span is known to be rare in the store (a
        # common word such as "year" fills every hit, with "years" and "yearly" besides)
        if self.max_holders < len(holding) and len(hits) < self.k:
            return self._in_context(holding, span, question)
        return None

    def _shares(self, hit: dict[str, Any], span: str, question: str) -> int:
        """How many content words of the question outside ``span`` the hit's text holds (a short ending aside)."""
        own = {w.strip(_EDGE).lower() for w in span.split()}
        context = {w.strip(_EDGE).lower() for w in question.split()} - own - self.stop_words - {""}
        words = {w.strip(_EDGE).lower() for w in hit["text"].split()}
        return sum(any(same_word(c, w) for w in words) for c in context)

    def _in_context(self, holding: list[dict[str, Any]], span: str, question: str) -> dict[str, Any] | None:
        shared = [self._shares(hit, span, question) for hit in holding]
        top = max(shared)
        return holding[shared.index(top)] if top and shared.count(top) == 1 else None

    def observation(self, lookup: Lookup) -> str:
        return self.search.show([lookup.hit])

    @property
    def action(self) -> str:
        return self.search.name


def plan_for(tools: dict, documents: Documents, settings: Any) -> EntityPlan | None:
    """The plan step when it is switched on and a search tool exists."""
    search = next((tool for tool in tools.values() if isinstance(tool, SearchTool)), None)
    if not settings.plan_lookups or search is None:
        return None
    return EntityPlan(documents, search, k=settings.plan_k, max_words=settings.max_span_words,
                      max_lookups=settings.plan_lookups,
                      stop_words=load_language(getattr(settings, "language_file", None)).stop_words)


def queries(lookups: Sequence[Lookup]) -> list[str]:
    return [lookup.query for lookup in lookups]
