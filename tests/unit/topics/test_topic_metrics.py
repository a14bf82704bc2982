import numpy as np
import pytest

from deployments.topics import metrics

E1, E2, MID = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.6, 0.8])
HUMAN = [np.stack([E1]), np.stack([E2])]
MODEL = [np.stack([E1, E2]), np.stack([MID])]


def test_random_pair_baseline_uses_cross_document_pairs_only():
    # pairs: (doc1 human E1, doc2 model MID) = 0.6; (doc2 human E2, doc1 models E1, E2) = 0 and 1
    assert metrics.random_pair_baseline(HUMAN, MODEL) == pytest.approx(1.6 / 3)


def test_label_prf_by_best_match_rescaled_against_the_baseline():
    scores = metrics.label_prf(HUMAN, MODEL, baseline=0.5)
    # doc1: recall 1 -> 1.0, precision (1 + 0)/2 -> 0.0; doc2: 0.8 -> 0.6 both ways
    assert scores["recall"] == pytest.approx(0.8)
    assert scores["precision"] == pytest.approx(0.3)
    assert scores["f1"] == pytest.approx(2 * 0.3 * 0.8 / 1.1)


def test_a_document_without_model_labels_scores_zero_recall():
    scores = metrics.label_prf([np.stack([E1]), np.stack([E2])], [np.stack([E1]), np.zeros((0, 2))], baseline=0.0)
    assert (scores["recall"], scores["precision"]) == (pytest.approx(0.5), pytest.approx(1.0))


def test_rescaled_dot_product_hand_values():
    assert metrics.rescaled_dot_product([1, 1, 0, 0], [1, 1, 0, 0]) == pytest.approx(1.0)
    assert metrics.rescaled_dot_product([1, 1, 0, 0], [0, 0, 1, 1]) == pytest.approx(0.0)
    assert metrics.rescaled_dot_product([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.5)
    assert metrics.rescaled_dot_product([1, 1, 1], [1, 1, 1]) == 0.0  # no spread: no alignment to measure


def test_chuang_alignment_compares_word_distributions_of_topics():
    doc_terms = [[3, 0, 0], [0, 1, 0], [1, 0, 0], [0, 2, 0]]
    # human a = d0 + d1 = [3, 1, 0]; model x = d2 + d3 = [1, 2, 0]
    # p.q = 5; sorted together [3,1,0].[2,1,0] = 7; against each other [3,1,0].[0,1,2] = 1 -> 4/6
    result = metrics.chuang_alignment([["a"], ["a"], [], []], [[], [], ["x"], ["x"]], doc_terms)
    assert result["matches"]["a"] == {"model_topic": "x", "score": pytest.approx(2 / 3)}
    both = metrics.chuang_alignment([["a"], ["a"], [], []], [["y"], ["y"], ["x"], ["x"]], doc_terms)
    assert both["matches"]["a"]["model_topic"] == "y" and both["mean"] == pytest.approx(1.0)


def test_nmi_and_ari_of_primary_topics():
    same = metrics.primary_agreement(["a", "a", "b", "b"], ["x", "x", "y", "y"])
    assert same == {"nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}
    crossed = metrics.primary_agreement(["a", "a", "b", "b"], ["x", "y", "x", "y"])
    assert crossed["nmi"] == pytest.approx(0.0, abs=1e-9)
    assert crossed["ari"] == pytest.approx(-0.5)


def test_trend_agreement_compares_statuses_of_the_best_overlapping_topics():
    human_docs = {"a": {0, 1, 2}, "b": {3, 4}}
    model_docs = {"x": {0, 1}, "y": {3, 4, 5}}
    assert metrics.trend_agreement(human_docs, {"a": "rising", "b": "steady"}, model_docs,
                                   {"x": "rising", "y": "fading"}) == 0.5
