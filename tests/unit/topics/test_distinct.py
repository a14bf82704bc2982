"""Distinct topic names and the "Other" fold (`distinct.py`), on hand-made topics and vectors."""

from __future__ import annotations

import asyncio

import numpy as np

from deployments.topics.distinct import OTHER_KEY, distinct_topics, distinguishing_words, fold_small, \
    merge_same_names, unique_names


def _v(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_same_names_with_close_centroids_merge():
    doc_topics = [[0], [0], [1], [1]]
    names = {0: "Sports", 1: "sports"}
    vectors = {0: _v(1, 0), 1: _v(1, 0.1), 2: _v(1, 0.2), 3: _v(0.9, 0.1)}
    assert merge_same_names(doc_topics, names, vectors, 0.6) == [[0], [0], [0], [0]]


def test_same_names_far_apart_get_a_word_of_their_own_texts():
    texts = ["the football match ended", "a football league table", "tennis at the open", "tennis racket review"]
    doc_topics = [[0], [0], [1], [1]]
    names = {0: "Sports", 1: "Sports"}
    vectors = {0: _v(1, 0), 1: _v(1, 0), 2: _v(0, 1), 3: _v(0, 1)}
    merged = merge_same_names(doc_topics, names, vectors, 0.6)
    assert merged == doc_topics
    renamed = unique_names(merged, names, texts)
    assert renamed[0] == "Sports (football)" and renamed[1] == "Sports (tennis)"


def test_a_word_every_topic_uses_never_tells_them_apart():
    words = distinguishing_words([["budget report march"], ["budget report april"]], "Finance")
    assert words == ["march", "april"]
    assert distinguishing_words([["same words"], ["same words"]], "Topic") == [None, None]


def test_names_stay_unique_when_no_word_separates_them():
    renamed = unique_names([[0], [1]], {0: "News", 1: "News"}, ["same text", "same text"])
    assert sorted(renamed.values()) == ["News", "News (2)"]


def test_one_document_topics_fold_into_other_and_secondary_singletons_leave():
    doc_topics = [[0, 5], [0], [1], [2, 0]]  # topic 1 and 2 and 5 hold one document each
    folded = fold_small(doc_topics, 2)
    assert folded == [[0], [0], [OTHER_KEY], [OTHER_KEY, 0]]
    assert fold_small(doc_topics, 1) == doc_topics


def test_distinct_topics_names_the_fold_other_and_keeps_a_real_other():
    doc_topics, names = distinct_topics([[0], [0], [1], [2], [2]], {0: "Other", 1: "Art", 2: "Music"},
                                        {}, ["a", "b", "c", "d", "e"], min_size=2)
    assert doc_topics[2] == [OTHER_KEY]
    assert names[0] == "Other" and names[OTHER_KEY] == "Other (2)"
    assert len({names[t].casefold() for ts in doc_topics for t in ts}) == 3
