"""Primary topics shared with other documents, and similarity assignment of the rest (no Ray)."""

import numpy as np

from deployments.topics.assignment import assign_primary, needing_assignment, shared_topics
from deployments.topics.canonical import clustering_text


def test_generic_words_are_left_out_of_the_clustering_text():
    assert clustering_text("Abstract art") == "Abstract"
    assert clustering_text("Art and Architecture") == "Architecture"
    assert clustering_text("Art of the Northern Renaissance") == "Northern Renaissance"
    assert clustering_text("Art") == "Art"  # nothing else left: the label itself


def test_a_shared_topic_becomes_primary_and_documents_without_one_get_the_nearest():
    # topic 0 and 1 are shared (2 documents each); 2 and 3 have one document each
    doc_topics = [[0], [2, 0], [1], [1, 3], [3], []]
    shared = shared_topics(doc_topics, 2)
    assert shared == [0, 1, 3]  # 3 is shared by documents 3 and 4
    shared = shared_topics([[0], [2, 0], [1], [1], [4], []], 2)
    assert shared == [0, 1]
    doc_topics = [[0], [2, 0], [1], [1], [4], []]
    needs = needing_assignment(doc_topics, shared)
    assert needs == [4, 5]
    centroids = np.array([[1.0, 0.0], [0.0, 1.0]])
    vectors = {4: np.array([0.2, 0.98]), 5: np.array([0.9, 0.43])}
    result = assign_primary(doc_topics, shared, centroids, vectors)
    assert result.topics == [[0], [0, 2], [1], [1], [1, 4], [0]]
    assert result.assigned == [False, False, False, False, True, True]


def test_without_shared_topics_nothing_is_assigned():
    result = assign_primary([[0], [1]], [], np.zeros((0, 2)), {})
    assert result.topics == [[0], [1]] and result.assigned == [False, False]
