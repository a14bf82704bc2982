import numpy as np

from deployments.topics.canonical import LeaderCanonicalizer


def _unit(*values):
    v = np.asarray(values, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_near_duplicates_merge_and_the_most_central_label_names_the_topic():
    labels = ["Impressionism", "Impressionist painting", "French Impressionism", "Bronze sculpture"]
    vectors = np.stack([_unit(1, 0.1, 0), _unit(1, 0.3, 0), _unit(1, -0.1, 0), _unit(0, 0, 1)])
    result = LeaderCanonicalizer(merge_threshold=0.8).canonicalize(labels, [5, 2, 1, 3], vectors)
    assert [t.label for t in result.topics] == ["Impressionism", "Bronze sculpture"]
    assert sorted(result.topics[0].members) == sorted(labels[:3])
    assert result.topic_of["French Impressionism"] == 0 and result.topic_of["Bronze sculpture"] == 1


def test_labels_below_the_threshold_stay_apart():
    vectors = np.stack([_unit(1, 0), _unit(0.5, 0.5)])  # cosine 0.707
    assert len(LeaderCanonicalizer(0.8).canonicalize(["a", "b"], [1, 1], vectors).topics) == 2
    assert len(LeaderCanonicalizer(0.7).canonicalize(["a", "b"], [1, 1], vectors).topics) == 1


def test_taxonomy_maps_close_topics_and_keeps_the_rest_as_new_topics():
    labels = ["Monet", "Degas", "NFT art"]
    vectors = np.stack([_unit(1, 0.2, 0), _unit(1, -0.2, 0), _unit(0, 0, 1)])
    taxonomy = ["Impressionism", "Sculpture"]
    tax_vectors = np.stack([_unit(1, 0, 0), _unit(0, 1, 0)])
    result = LeaderCanonicalizer(merge_threshold=0.99, taxonomy_threshold=0.9).canonicalize(
        labels, [2, 1, 1], vectors, taxonomy, tax_vectors)
    assert [(t.label, t.taxonomy) for t in result.topics] == [("Impressionism", True), ("NFT art", False)]
    assert result.topic_of == {"Monet": 0, "Degas": 0, "NFT art": 1}


def test_many_labels_cluster_against_centroids_not_each_other():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 32))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = centres[np.arange(5000) % 50] + rng.normal(scale=0.02, size=(5000, 32))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    labels = [f"label {i}" for i in range(5000)]
    result = LeaderCanonicalizer(merge_threshold=0.8).canonicalize(labels, [1] * 5000, points)
    assert len(result.topics) == 50
    assert all(result.topic_of[f"label {i}"] == result.topic_of[f"label {i % 50}"] for i in range(5000))
