"""The words that the labels of one corpus share, found from the labels themselves.

On a corpus of one field the labeller repeats the field's own words: an art firm's labels say
"art" ("Abstract art", "Religious art", "Art history"), a company's say "company". Embedded as
is, labels that share such a word sit close together in sentence-embedding space and merge into
one topic; a label made only of them ("Art", "Company") tells no document from another. Which
words these are depends on the corpus, so they are not listed anywhere: a word is shared when it
occurs in at least `min_share` of the corpus's distinct labels and in at least `min_labels` of them
(the floor keeps a corpus of a handful of labels from declaring every word shared).

English function words ("and", "of") come from scikit-learn's stop-word list: a property of the
language, not of a domain; they never count as a label's content.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[\w'&-]+")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {"&"}


def words(label: str) -> list[str]:
    """The label's words, lower-cased, in order."""
    return [w.lower() for w in _WORD.findall(label)]


def shared_words(labels: list[str], min_share: float = 0.1, min_labels: int = 3) -> frozenset[str]:
    """Words (lower-cased, not stop words) occurring in at least `min_share` of the distinct labels and
    in at least `min_labels` of them: the document frequency of each word across the labels."""
    distinct = {" ".join(label.lower().split()) for label in labels if label.strip()}
    if not distinct:
        return frozenset()
    stop = _stop_words()
    frequency = Counter(w for label in distinct for w in set(words(label)) if w not in stop)
    floor = max(min_labels, min_share * len(distinct))
    return frozenset(w for w, n in frequency.items() if n >= floor)


def is_generic(label: str, shared: frozenset[str]) -> bool:
    """True when the label holds nothing but shared words and stop words ("Art", "Art and history")."""
    stop = _stop_words()
    return all(w in shared or w in stop for w in words(label))


def clustering_text(label: str, shared: frozenset[str]) -> str:
    """The label without its shared words and stop words ("Art of the Renaissance" -> "Renaissance" where
    "art" is shared): what the label is embedded as for merging; the label itself when nothing is left."""
    stop = _stop_words()
    kept = [w for w in _WORD.findall(label) if w.lower() not in shared and w.lower() not in stop]
    return " ".join(kept) or label
