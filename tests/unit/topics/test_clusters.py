"""Primary topics by document clustering: the text groups, the labels name (clusters.py)."""

import numpy as np

from deployments.topics.base import Canonical, Topic
from deployments.topics.changepoint import ChangepointTrendDetector
from deployments.topics.clusters import cluster_points, cluster_primary, cover_votes, document_points, medoid_votes


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def _near(axis: int, jitter: float, seed: int, dim: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = np.zeros(dim, dtype=np.float32)
    v[axis] = 1.0
    return _unit(v + jitter * rng.standard_normal(dim))


def test_points_add_the_label_vector_and_a_document_without_labels_keeps_its_text():
    text = np.array([[1.0, 0.0], [1.0, 0.0]])
    labels = np.array([[0.0, 2.0], [0.0, 0.0]])
    points = document_points(text, labels, 1.0)
    assert np.allclose(points[0], _unit([1, 1]))
    assert np.allclose(points[1], [1, 0])
    assert np.allclose(document_points(text, labels, 0.0), text)


def test_close_texts_cluster_together_and_a_large_corpus_is_clustered_by_sample():
    points = np.stack([_near(i % 3, 0.05, i) for i in range(30)])
    ids = cluster_points(points, 0.5)
    assert len(set(ids)) == 3
    assert all(ids[i] == ids[i % 3] for i in range(30))
    sampled = cluster_points(points, 0.5, max_exact=12)
    assert all(sampled[i] == sampled[i % 3] for i in range(30))
    assert len(set(sampled)) == 3


def _canonical(labels: list[str], dim: int = 8) -> Canonical:
    return Canonical(topics=[Topic(label, [label], _near(i % dim, 0.0, i, dim)) for i, label in enumerate(labels)])


def test_a_kind_of_document_whose_labels_scatter_stays_one_topic_and_its_planted_rise_is_found():
    # 36 documents over 12 months: "A" documents all year; "B" documents only in the last quarter, each
    # labelled differently (as a small model does), with texts that are close to each other.
    canonical = _canonical(["Alpha", "Beta one", "Beta two", "Beta three", "Beta four", "Beta five", "Beta six"])
    doc_topics, vectors, months = [], {}, []
    for d in range(36):
        late = d >= 27
        doc_topics.append([1 + (d - 27) % 6] if late else [0])
        vectors[d] = _near(1 if late else 0, 0.05, d)
        months.append(9 + (d - 27) // 3 if late else d // 3)
    assignment = cluster_primary(doc_topics, canonical, vectors, [[canonical.topics[t[0]].label] for t in doc_topics],
                                 label_weight=0.3, distance=0.5)
    primaries = [t[0] for t in assignment.topics]
    assert len(set(primaries[27:])) == 1 and primaries[27] != primaries[0]
    assert set(primaries[:27]) == {0}
    assert canonical.topics[primaries[27]].label.startswith("Beta")
    assert assignment.topics[28][1:] == doc_topics[28] or assignment.topics[28] == doc_topics[28]
    counts = [sum(1 for d in range(27, 36) if months[d] == m) for m in range(12)]
    totals = [sum(1 for m2 in months if m2 == m) for m in range(12)]
    assert ChangepointTrendDetector().detect(counts, totals).status in ("rising", "new")


def test_each_topic_names_one_cluster_and_a_cluster_left_without_one_gets_its_own():
    canonical = _canonical(["Shared"])
    doc_topics = [[0]] * 6
    vectors = {d: _near(0 if d < 4 else 1, 0.02, d) for d in range(6)}
    assignment = cluster_primary(doc_topics, canonical, vectors, [["Shared"]] * 4 + [["Other kind"]] * 2,
                                 label_weight=0.0, distance=0.5)
    primaries = [t[0] for t in assignment.topics]
    assert primaries[:4] == [0] * 4
    assert canonical.topics[primaries[4]].label == "Other kind" and primaries[4] == primaries[5]
    assert assignment.assigned == [False] * 4 + [True] * 2
    assert assignment.topics[4] == [primaries[4], 0]  # its own topic is kept after the primary


def test_assemble_with_document_grouping_names_each_primary_by_a_label():
    import asyncio

    from deployments.topics.assemble import assemble
    from deployments.topics.canonical import LeaderCanonicalizer
    from tests.unit.fakes import FakeEmbedder

    docs = [{"id": f"d{i}", "text": text, "timestamp": f"2025-{1 + i % 12:02d}-01T00:00:00Z"}
            for i, text in enumerate(["red apple pie", "red apple tart", "green apple pie", "blue boat sail",
                                      "blue boat race", "blue boat trip"])]
    labels = [["Apples"], ["Apples", "Tarts"], ["Apple pie"], ["Boats"], ["Sailing"], ["Boats"]]
    result = asyncio.run(assemble(docs, labels, FakeEmbedder(), LeaderCanonicalizer(), ChangepointTrendDetector(),
                                  grouping="documents", cluster_distance=0.8, cluster_label_weight=0.3))
    primaries = [d["primary_topic"] for d in result["documents"]]
    assert primaries[:3] == ["Apples"] * 3 and primaries[3:] == ["Boats"] * 3
    assert result["documents"][1]["topics"] == ["Apples", "Tarts"]


def _two_kinds(late_kind: bool):
    """48 documents over 12 months: 36 of kind A (4 a month) and 12 of kind B, whose texts are near A's
    (a cut at distance 0.5 merges them); B's 12 are all in the last quarter when `late_kind`, else spread
    like A's. Each B document has a label of its own, as a small model gives."""
    b_dir = _unit([1.0, 1.0, 0, 0, 0, 0, 0, 0])
    rng = np.random.default_rng(3)
    canonical = _canonical(["Alpha"] + [f"Beta {i}" for i in range(12)])
    doc_topics, vectors, windows = [], {}, []
    for d in range(48):
        if d < 36:
            doc_topics.append([0])
            vectors[d] = _near(0, 0.05, d)
            windows.append(d // 3)
        else:
            doc_topics.append([1 + d - 36])
            vectors[d] = _unit(b_dir + 0.05 * rng.standard_normal(8))
            windows.append(9 + (d - 36) // 4 if late_kind else (d - 36))
    raw = [[canonical.topics[t[0]].label] for t in doc_topics]
    return canonical, doc_topics, vectors, raw, windows


def test_a_late_kind_merged_into_a_steady_cluster_is_split_off_and_its_rise_is_found():
    canonical, doc_topics, vectors, raw, windows = _two_kinds(late_kind=True)
    merged = cluster_primary(doc_topics, canonical, vectors, raw, label_weight=0.0, distance=0.5)
    assert len({t[0] for t in merged.topics}) == 1  # the cut alone puts both kinds in one cluster
    canonical, doc_topics, vectors, raw, windows = _two_kinds(late_kind=True)
    detector = ChangepointTrendDetector()
    split = cluster_primary(doc_topics, canonical, vectors, raw, label_weight=0.0, distance=0.5,
                            windows=windows, n_windows=12, detector=detector)
    primaries = [t[0] for t in split.topics]
    assert set(primaries[:36]) == {0}
    assert len(set(primaries[36:])) == 1 and primaries[36] != 0
    counts = [sum(1 for d in range(36, 48) if windows[d] == m) for m in range(12)]
    totals = [sum(1 for w in windows if w == m) for m in range(12)]
    assert detector.detect(counts, totals).status in ("rising", "new")


def test_kinds_with_the_same_timing_stay_one_cluster():
    canonical, doc_topics, vectors, raw, windows = _two_kinds(late_kind=False)
    assignment = cluster_primary(doc_topics, canonical, vectors, raw, label_weight=0.0, distance=0.5,
                                 windows=windows, n_windows=12, detector=ChangepointTrendDetector())
    assert len({t[0] for t in assignment.topics}) == 1


def test_a_large_cluster_is_split_on_a_sample_and_every_row_joins_a_part():
    from deployments.topics.clusters import split_by_history

    canonical, doc_topics, vectors, raw, windows = _two_kinds(late_kind=True)
    points = np.stack([vectors[d] for d in range(48)])
    ids = np.zeros(48, dtype=int)
    out = split_by_history(points, ids, windows, 12, ChangepointTrendDetector(), max_exact=30)
    assert set(out[:36]) == {out[0]} and set(out[36:]) == {out[36]} and out[0] != out[36]
    assert split_by_history(points, ids, [None] * 48, 12, ChangepointTrendDetector()).tolist() == ids.tolist()


def test_a_late_kind_below_an_outlier_merge_is_still_split_off():
    # Two outlier documents far from both kinds join the cluster last: the top merge (outliers vs the
    # rest) is too small to test, and the late kind sits one merge below it.
    canonical, doc_topics, vectors, raw, windows = _two_kinds(late_kind=True)
    for d, axis in ((48, 5), (49, 6)):
        doc_topics.append([0])
        vectors[d] = _unit(_near(0, 0.0, d) + _near(axis, 0.0, d) * 1.2)
        raw.append(["Alpha"])
        windows.append(d - 44)
    detector = ChangepointTrendDetector()
    split = cluster_primary(doc_topics, canonical, vectors, raw, label_weight=0.0, distance=0.9,
                            windows=windows, n_windows=12, detector=detector)
    primaries = [t[0] for t in split.topics]
    assert len(set(primaries[36:48])) == 1 and primaries[36] not in set(primaries[:36])
    assert set(primaries[48:]) <= set(primaries[:36])  # the outliers join the nearest part, not a part of their own


def test_with_alpha_keeps_the_test_and_changes_only_its_level():
    detector = ChangepointTrendDetector(0.05, min_new_count=3, parts=5)
    strict = detector.with_alpha(0.01)
    assert (strict.alpha, strict.min_new_count, strict.parts) == (0.01, 3, 5)
    detector, strict = ChangepointTrendDetector(0.05), ChangepointTrendDetector(0.05).with_alpha(0.01)
    counts, totals = [0, 0, 1, 0, 0, 1, 0, 1, 2, 2, 3, 2], [4] * 12
    assert detector.detect(counts, totals).status == "rising"
    assert strict.detect(counts, totals).status == "steady"


def test_a_cluster_is_named_by_the_label_that_covers_its_members_not_the_one_repeated_most():
    # Two members repeat a narrow label; four others carry near-synonyms of a broader one. A count
    # picks the narrow label; the cover vote picks the label nearest what every member was called.
    broad = _unit([1.0, 0.0, 0.0, 0.0])
    canonical = Canonical(topics=[
        Topic("Narrow", ["Narrow"], _unit([0.3, 1.0, 0.0, 0.0])),
        Topic("Broad", ["Broad"], broad),
        Topic("Broad variant one", ["Broad variant one"], _unit([1.0, 0.0, 0.25, 0.0])),
        Topic("Broad variant two", ["Broad variant two"], _unit([1.0, 0.0, 0.0, 0.25])),
    ])
    doc_topics = [[0], [0], [1], [2], [3], [2, 1], []]
    votes = cover_votes(doc_topics, canonical)
    assert max(votes, key=votes.get) == 1
    assert votes[0] < votes[1] and votes[1] > 4.0  # two full votes plus two near-full ones
    vectors = {d: _near(0, 0.01, d, 4) for d in range(len(doc_topics))}
    labels = [[canonical.topics[t].label for t in topics] for topics in doc_topics]
    assignment = cluster_primary(doc_topics, canonical, vectors, labels, label_weight=0.0, distance=0.5)
    assert {topics[0] for topics in assignment.topics} == {1}
    assert assignment.topics[0] == [1, 0]  # its own narrow label is kept after the name


def test_the_medoid_names_a_cluster_by_the_label_its_whole_labelling_points_to():
    # Three members carry only an off-field label ("Art" on font packages); three carry two of three
    # near-synonyms each. The cover vote (one best match per member) picks the repeated off-field label;
    # the medoid (closest to the mean of every topic the members carry) picks the central synonym.
    canonical = Canonical(topics=[
        Topic("Art", ["Art"], _unit([0.3, 1.0, 0.0, 0.0])),
        Topic("Fonts", ["Fonts"], _unit([1.0, 0.0, 0.0, 0.0])),
        Topic("Typography", ["Typography"], _unit([1.0, 0.0, 0.6, 0.0])),
        Topic("Glyphs", ["Glyphs"], _unit([1.0, 0.0, 0.0, 0.6])),
    ])
    doc_topics = [[0], [0], [0], [2, 3], [1, 3], [1, 2], []]
    cover, medoid = cover_votes(doc_topics, canonical), medoid_votes(doc_topics, canonical)
    assert max(cover, key=cover.get) == 0 and max(medoid, key=medoid.get) == 1
    assert set(medoid) == {0, 1, 2, 3} and medoid_votes([[], []], canonical) == {}
    vectors = {d: _near(0, 0.01, d, 4) for d in range(len(doc_topics))}
    labels = [[canonical.topics[t].label for t in topics] for topics in doc_topics]
    for naming, name in (("medoid", "Fonts"), ("cover", "Art")):
        assignment = cluster_primary(doc_topics, canonical, vectors, labels, label_weight=0.0, distance=0.5,
                                     naming=naming)
        assert {canonical.topics[topics[0]].label for topics in assignment.topics} == {name}


def test_a_late_kind_next_to_a_steady_one_among_several_kinds_is_split_off():
    # Three steady kinds (12 documents each, one a month) and a late kind (12 documents, all in the
    # last quarter) whose texts are nearest one of them; no cut separates it from the rest. The merge
    # that matters sits among many tested merges inside the kinds: Bonferroni over the merges counted
    # them all against it and left this cluster whole; the permutation level splits it off.
    from deployments.topics.clusters import split_by_history

    for seed in range(3):
        rng = np.random.default_rng(seed)
        directions = [_near(0, 0.0, 0), _near(1, 0.0, 0), _near(2, 0.0, 0)]
        late_dir = _unit(directions[2] + _near(3, 0.0, 0))
        points, windows, kinds = [], [], []
        for k, direction in enumerate(directions):
            for m in range(12):
                points.append(_unit(direction + 0.1 * rng.standard_normal(8)))
                windows.append(m)
                kinds.append(k)
        for i in range(12):
            points.append(_unit(late_dir + 0.1 * rng.standard_normal(8)))
            windows.append(9 + i % 3)
            kinds.append(3)
        out = split_by_history(np.stack(points), np.zeros(len(points), dtype=int), windows, 12,
                               ChangepointTrendDetector())
        late = {int(out[i]) for i in range(len(points)) if kinds[i] == 3}
        assert len(late) == 1
        assert all(int(out[i]) not in late for i in range(36))


def test_kinds_with_the_same_timing_are_rarely_split():
    # The level holds over the whole tree: steady random clusters are left whole.
    from deployments.topics.clusters import split_by_history

    split = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        points = rng.standard_normal((60, 8))
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        out = split_by_history(points, np.zeros(60, dtype=int), rng.integers(0, 12, 60).tolist(), 12,
                               ChangepointTrendDetector())
        split += len(set(out.tolist())) > 1
    assert split <= 2


def test_own_topics_less_related_to_the_text_than_the_primary_are_dropped():
    from deployments.topics.clusters import keep_closer_own_topics

    topics = {0: _unit([1, 0, 0]), 1: _unit([0.9, 0.1, 0]), 2: _unit([0, 0, 1]), 3: _unit([0, 1, 0])}
    text = {0: _unit([1, 0.5, 0.1]), 1: _unit([0, 1, 0])}
    kept = keep_closer_own_topics([[0, 1, 2], [0, 3], [2, 0]], topics, text)
    # doc 0: topic 1 is nearer its text than its primary 0 -> kept; 2 (off-field) dropped;
    # doc 1: 3 is its text's own direction -> kept; doc 2 has no text vector -> all kept
    assert kept == [[0, 1], [0, 3], [2, 0]]


def test_assemble_drops_an_off_field_own_topic_but_keeps_the_documents_labels():
    import asyncio

    from deployments.topics.assemble import assemble
    from deployments.topics.canonical import LeaderCanonicalizer
    from tests.unit.fakes import FakeEmbedder

    docs = [{"id": f"d{i}", "text": text, "timestamp": f"2025-{1 + i:02d}-01T00:00:00Z"}
            for i, text in enumerate(["red apple pie", "apple pastry", "green apple pie"])]
    labels = [["Apple pie"], ["Apple pie", "Pastry", "Stock market"], ["Apple pie"]]

    def run(own_topics: str) -> dict:
        return asyncio.run(assemble(docs, labels, FakeEmbedder(), LeaderCanonicalizer(), ChangepointTrendDetector(),
                                    grouping="documents", cluster_distance=0.8, cluster_label_weight=0.3,
                                    own_topics=own_topics))

    closer = run("closer")
    assert closer["documents"][1]["topics"] == ["Apple pie", "Pastry"]  # "Pastry" is nearer the text than "Apple pie"
    assert closer["documents"][1]["labels"] == ["Apple pie", "Pastry", "Stock market"]
    assert "Stock market" not in {t["label"] for t in closer["topics"]}
    assert run("all")["documents"][1]["topics"] == ["Apple pie", "Pastry", "Stock market"]


def test_a_corpus_of_one_field_lumped_by_the_fixed_cut_is_cut_again_where_the_silhouette_is_highest():
    # Twelve kinds of document, 6 each, every document within cosine distance 0.2 of every other (one
    # field): the fixed cut lumps them all into one cluster; cut again by silhouette, the kinds come apart.
    rng = np.random.default_rng(3)
    field = np.zeros(16, dtype=np.float32)
    field[0] = 1.0
    kinds = [_unit(field + 0.3 * _near(1 + k, 0.0, k, 16)) for k in range(12)]
    points = np.stack([_unit(kinds[k] + rng.normal(0, 0.005, 16)) for k in range(12) for _ in range(6)])
    truth = np.repeat(np.arange(12), 6)
    assert (1 - points @ points.T).max() < 0.2
    assert len(set(cluster_points(points, 0.68).tolist())) == 1
    split = cluster_points(points, 0.68, max_share=0.25)
    assert all(len(set(split[truth == k].tolist())) == 1 for k in range(12)) and len(set(split.tolist())) == 12
    # a corpus the fixed cut already splits (no cluster over a quarter of it) keeps that cut
    far = np.stack([_near(k, 0.02, i, 16) for k in range(12) for i in range(5)])
    fixed = cluster_points(far, 0.68)
    assert len(set(fixed.tolist())) == 12 and (cluster_points(far, 0.68, max_share=0.25) == fixed).all()
    # a small request keeps the fixed cut: a silhouette over a few documents is too noisy to choose by
    assert len(set(cluster_points(points[:30], 0.68, max_share=0.25).tolist())) == 1
