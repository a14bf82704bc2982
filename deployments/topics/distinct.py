"""Topics a person can tell apart: no two share a name, and one-document topics fold into "Other".

Why: clustering names each cluster by one of its members' label topics (`clusters.name_clusters`),
and when a larger cluster took every candidate the smaller one falls back on its most frequent raw
label, which is often the same word ("Sports", "Sports (2)"). Its own topics add, besides, many
topics held by a single document. A list of two-thirds singletons with repeated names cannot be read.

Method, on the assembled topics (topic -> member documents), in three steps:
1. Same name, close centroids: topics whose names are equal (case-insensitively) are merged when the
   cosine of their members' mean text vectors is at least `merge_cosine` (the clustering split one
   kind of document in two; joining it back is what the name already says).
2. Small topics fold: a topic with fewer than `min_size` documents is dropped from its documents'
   topics; a document whose primary topic was dropped gets the "Other" group as its primary. The
   document keeps its raw `labels`, so nothing the model said is lost.
3. Same name, far apart: each topic of a group that still shares a name gets the word of its own
   documents' texts that best tells it from the others of the group: the largest share of its
   documents that contain the word, less the largest share of any other topic of the group (so a word
   every one of them uses never wins); the label's own words and English stop words (scikit-learn's
   list, as the evaluation's word counts use) are left out. "Sports" and "Sports" become
   "Sports (football)" and "Sports (tennis)". A group where no word separates a topic falls back on a
   number, so names are unique whatever the texts.
No word list or corpus is built in: the words come from each topic's own texts.
"""

from __future__ import annotations

import numpy as np

OTHER_KEY = -1
OTHER_LABEL = "Other"


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _members(doc_topics: list[list[int]]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for d, topics in enumerate(doc_topics):
        for t in topics:
            members.setdefault(t, []).append(d)
    return members


def _same_name_groups(keys: list[int], names: dict[int, str]) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for t in keys:
        groups.setdefault(names[t].casefold(), []).append(t)
    return [group for group in groups.values() if len(group) > 1]


def merge_same_names(doc_topics: list[list[int]], names: dict[int, str], doc_vectors: dict[int, np.ndarray],
                     merge_cosine: float) -> list[list[int]]:
    """Step 1: topics of one name whose member centroids have a cosine of at least `merge_cosine` become
    the larger one (`doc_topics` rewritten, each document's topics kept in order without repeats)."""
    members = _members(doc_topics)
    into: dict[int, int] = {}
    for group in _same_name_groups(sorted(members), names):
        group.sort(key=lambda t: (-len(members[t]), t))
        vectors = {t: _unit(np.sum([doc_vectors[d] for d in members[t] if d in doc_vectors], axis=0))
                   for t in group if any(d in doc_vectors for d in members[t])}
        heads: list[int] = []
        for t in group:
            head = next((h for h in heads if t in vectors and h in vectors
                         and float(vectors[t] @ vectors[h]) >= merge_cosine), None)
            if head is None:
                heads.append(t)
            else:
                into[t] = head
    if not into:
        return doc_topics
    return [list(dict.fromkeys(into.get(t, t) for t in topics)) for topics in doc_topics]


def fold_small(doc_topics: list[list[int]], min_size: int) -> list[list[int]]:
    """Step 2: topics of fewer than `min_size` documents leave every document; a document whose primary
    (first) topic left gets `OTHER_KEY` first. `min_size` 1 folds nothing."""
    members = _members(doc_topics)
    small = {t for t, docs in members.items() if len(docs) < min_size}
    if not small:
        return doc_topics
    folded = []
    for topics in doc_topics:
        kept = [t for t in topics if t not in small]
        folded.append([OTHER_KEY, *kept] if topics and topics[0] in small else kept)
    return folded


def distinguishing_words(texts: list[list[str]], label: str) -> list[str | None]:
    """Step 3: per group of texts (one group per topic sharing `label`), the word that best tells it
    from the others (see the module's docstring), or None when no word separates it."""
    from sklearn.feature_extraction.text import CountVectorizer

    own = set(CountVectorizer().build_analyzer()(label))
    vectorizer = CountVectorizer(stop_words="english", binary=True, token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    try:
        presence = vectorizer.fit_transform([text for group in texts for text in group])  # sparse: big topics
    except ValueError:  # no word at all besides stop words
        return [None] * len(texts)
    words = vectorizer.get_feature_names_out()
    bounds = np.cumsum([0, *(len(group) for group in texts)])
    shares = np.stack([np.asarray(presence[bounds[i]:bounds[i + 1]].mean(axis=0)).ravel()
                       if bounds[i + 1] > bounds[i] else np.zeros(len(words)) for i in range(len(texts))])
    allowed = np.asarray([word not in own for word in words])
    chosen: list[str | None] = []
    for i in range(len(texts)):
        others = np.delete(shares, i, axis=0).max(axis=0) if len(texts) > 1 else np.zeros(len(words))
        score = np.where(allowed, shares[i] - others, -np.inf)
        # best margin, then the commoner word in the topic, then A-Z: the same answer on every run
        order = np.lexsort((words, -shares[i], -score))
        best = order[0] if len(order) else None
        chosen.append(str(words[best]) if best is not None and score[best] > 0 else None)
    return chosen


def unique_names(doc_topics: list[list[int]], names: dict[int, str], texts: list[str]) -> dict[int, str]:
    """Step 3: `names` with every name two topics share told apart by a word of their own texts."""
    members = _members(doc_topics)
    renamed = dict(names)
    for group in _same_name_groups(sorted(t for t in members if t != OTHER_KEY), names):
        group.sort(key=lambda t: (-len(members[t]), t))
        words = distinguishing_words([[texts[d] for d in members[t]] for t in group], names[group[0]])
        for t, word in zip(group, words):
            if word is not None:
                renamed[t] = f"{names[t]} ({word})"
    taken: set[str] = set()
    # the last resort, a number; the "Other" group last, so a real topic of that name keeps it
    for t in sorted(members, key=lambda t: (t == OTHER_KEY, -len(members[t]), t)):
        name, suffix = renamed.get(t, OTHER_LABEL), 2
        while name.casefold() in taken:
            name, suffix = f"{renamed.get(t, OTHER_LABEL)} ({suffix})", suffix + 1
        taken.add(name.casefold())
        renamed[t] = name
    return renamed


def distinct_topics(doc_topics: list[list[int]], names: dict[int, str], doc_vectors: dict[int, np.ndarray],
                    texts: list[str], min_size: int = 2,
                    merge_cosine: float = 0.5) -> tuple[list[list[int]], dict[int, str]]:
    """The three steps: per document its topics (`OTHER_KEY` for the folded group), and a unique name per
    topic (the folded group's is "Other", or "Other (2)" beside a topic of that name)."""
    doc_topics = merge_same_names(doc_topics, names, doc_vectors, merge_cosine)
    doc_topics = fold_small(doc_topics, min_size)
    names = {**names, OTHER_KEY: OTHER_LABEL}
    return doc_topics, unique_names(doc_topics, names, texts)
