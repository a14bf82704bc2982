"""Primary topics shared with other documents, and similarity assignment of the rest (no Ray)."""

import numpy as np

from deployments.topics.assignment import assign_primary, shared_topics


def test_a_shared_topic_becomes_primary_and_documents_without_one_get_the_nearest():
    # topic 0 and 1 are shared (2 documents each); 2 and 3 have one document each
    doc_topics = [[0], [2, 0], [1], [1, 3], [3], []]
    shared = shared_topics(doc_topics, 2)
    assert shared == [0, 1, 3]  # 3 is shared by documents 3 and 4
    shared = shared_topics([[0], [2, 0], [1], [1], [4], []], 2)
    assert shared == [0, 1]
    doc_topics = [[0], [2, 0], [1], [1], [4], []]
    centroids = np.array([[1.0, 0.0], [0.0, 1.0]])
    vectors = {4: np.array([0.2, 0.98]), 5: np.array([0.9, 0.43])}
    result = assign_primary(doc_topics, shared, centroids, vectors)
    assert result.topics == [[0], [0, 2], [1], [1], [1, 4], [0]]
    assert result.assigned == [False, False, False, False, True, True]


def test_without_shared_topics_nothing_is_assigned():
    result = assign_primary([[0], [1]], [], np.zeros((0, 2)), {})
    assert result.topics == [[0], [1]] and result.assigned == [False, False]


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_refinement_moves_a_catch_all_topics_documents_to_the_specific_topic_their_text_is_nearest():
    from deployments.topics.assignment import Assignment, document_centroids, refine_primary

    # topic 0 "Photography" (documents 0, 1), topic 1 "Sculpture" (2, 3), topic 2 the catch-all
    # "Art criticism" (4 about photographs, 5 about sculpture); document 4 also has its own topic 3.
    seed = Assignment(topics=[[0], [0], [1], [1], [2, 3], [2]], assigned=[False] * 6)
    vectors = {0: _unit(1, 0), 1: _unit(0.95, 0.05), 2: _unit(0, 1), 3: _unit(0.05, 0.95),
               4: _unit(0.9, 0.2), 5: _unit(0.3, 0.9)}
    topics, centroids = document_centroids(seed, vectors, 2)
    assert topics == [0, 1, 2]
    np.testing.assert_allclose(centroids[2], _unit(*(vectors[4] + vectors[5])), rtol=1e-6)  # between the two kinds of art
    result = refine_primary(seed, vectors, 2, label_prior=0.0)
    assert [t[0] for t in result.topics] == [0, 0, 1, 1, 0, 1]
    assert result.topics[4] == [0, 2, 3]  # the primary first, its own topics kept
    assert result.assigned == [False, False, False, False, True, True]


def test_label_prior_keeps_a_documents_own_topic_unless_another_is_clearly_nearer():
    from deployments.topics.assignment import Assignment, document_centroids, refine_primary

    seed = Assignment(topics=[[0], [0], [1], [1], [1]], assigned=[False] * 5)
    vectors = {0: _unit(1, 0), 1: _unit(1, 0), 2: _unit(0, 1), 3: _unit(0, 1), 4: _unit(1, 0.7)}
    # document 4 is labelled topic 1 but its text is slightly nearer topic 0's documents
    _, centroids = document_centroids(seed, vectors, 2)
    cos0, cos1 = (centroids @ vectors[4]).tolist()
    assert 0 < cos0 - cos1 < 0.05  # about 0.819 against 0.794
    assert refine_primary(seed, vectors, 2, label_prior=0.0).topics[4] == [0, 1]
    kept = refine_primary(seed, vectors, 2, label_prior=cos0 - cos1 + 0.01)
    assert kept.topics[4] == [1] and kept.assigned[4] is False


def test_refinement_without_document_vectors_keeps_the_seed():
    from deployments.topics.assignment import Assignment, refine_primary

    seed = Assignment(topics=[[0], [0, 1], []], assigned=[False, False, False])
    assert refine_primary(seed, {}, 2, 0.05) == seed
