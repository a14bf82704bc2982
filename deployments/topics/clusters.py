"""Primary topics by clustering documents (`topics.grouping: documents`): the text decides the
groups, the labels name them.

Why: a small model's labels of one kind of document can scatter ("Morse code", "Telecommunications",
"Drivers" for three radio programs) so no label is shared by enough of them to make a topic, and the
labels-first assignment (`assignment.py`) spreads them over unrelated topics; a rise or a fade
confined to that kind of document is then diluted below significance. Their text embeddings stay
close, so clustering the documents keeps them together.

Method: each document is its unit text vector plus `label_weight` times the unit mean of its label
topics' centroids (the labels pull documents the model read alike together, the text does the rest),
re-normalised; average-linkage agglomerative clustering on cosine distance, cut at `distance`
(scikit-learn's `AgglomerativeClustering`). When that cut leaves one cluster holding more than
`max_share` of the documents (50 or more of them), the tree is cut again, lower, where the mean
silhouette is highest (`recut_lumped`). Why: the fixed distance is a scale of the embedding, fit for a
corpus whose kinds of document differ in field; in a corpus of one field (kinds of game, say) every
document is that close to every other and the cut lumps most of them into one topic. The silhouette
chooses the lower cut from the corpus's own distances, without assuming how many kinds it holds; a corpus
the fixed cut already splits keeps it. Above `max_exact` documents, a strided sample of that size is
clustered and the rest join the nearest cluster centroid, so memory stays bounded (the exact method
needs the document x document matrix). A cluster is named by one of its members' label topics: by default the medoid
(`medoid_votes`: the topic closest to the mean of every topic its members carry), or the one that best
covers them (`cover_votes`: each member votes for a candidate with its best cosine to it, 1 when it
carries it); largest cluster first, each topic naming at most one cluster; a cluster whose candidates are
all taken gets a topic of its own named after its most frequent label (which may repeat a name:
`distinct.py` then merges or tells them apart), and a cluster
none of whose documents has a label makes no topic (there is nothing to name it by).

Clusters whose parts have different histories are split (`split_by_history`). Why: a cut at one
distance can merge a kind of document that appeared in one period with a nearby kind present all
year (radio programs with audio programs); the rise is then a fraction of a steady cluster and
reads as "steady". Method: in each cluster's average-linkage tree, every merge of two sides with at
least `min_part` dated documents each is tested: does one side's share of the merged documents
change over the windows? (The trend detector's question, the merged counts as the exposure, its
level `trend_alpha` held over all merges of the cluster at once by permutation, so a big steady
cluster's many merges do not turn noise into splits: `_tree_parts`.) A significant merge is undone, and
so is every merge above it; parts smaller than `min_part` join the nearest part. Every merge is
tested, not only the top one: average linkage often joins a few outliers or an unrelated kind last,
above the merge that matters. The question is the one the trends answer: two groups the text puts
together whose timing differs beyond chance are two topics for an analyst asking what rose and what
faded. Parts with the same timing are split only by chance, at the test's level, whatever their
size, so no threshold is fitted.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from deployments.topics.assignment import Assignment
from deployments.topics.base import Canonical, Topic
from deployments.topics.changepoint import ChangepointTrendDetector


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def document_points(text_vectors: np.ndarray, label_vectors: np.ndarray, label_weight: float) -> np.ndarray:
    """Unit (text + weight * label) vectors; a document without labels has a zero label row."""
    labels = _unit_rows(label_vectors) * (np.linalg.norm(label_vectors, axis=1, keepdims=True) > 0)
    return _unit_rows(_unit_rows(text_vectors) + label_weight * labels)


RECUT_MIN_DOCUMENTS = 50  # below this, a silhouette over so few documents is too noisy to choose a cut by
RECUT_MAX_TOPICS = 200  # a lumped corpus is cut again into at most this many topics (and half its documents)


def recut_lumped(points: np.ndarray, ids: np.ndarray, distance: float, max_share: float | None) -> np.ndarray:
    """`ids`, or, when one of its clusters holds more than `max_share` of the rows (and there are at least
    `RECUT_MIN_DOCUMENTS`), the cut of the same average-linkage tree at `distance` or below with the
    highest mean silhouette (cosine; scikit-learn). Every cut from as many clusters as `ids` has up to
    `RECUT_MAX_TOPICS` (or half the rows) is tried, each by its number of clusters, so no scale of
    distance is assumed; ties go to fewer clusters. Why: see the module's docstring."""
    n = len(ids)
    if max_share is None or n < RECUT_MIN_DOCUMENTS or np.bincount(ids).max() <= max_share * n:
        return ids
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist, squareform
    from sklearn.metrics import silhouette_score

    condensed = np.clip(pdist(points, metric="cosine"), 0.0, None)
    tree, square = linkage(condensed, method="average"), squareform(condensed)
    best, chosen = -np.inf, ids
    for k in range(max(2, int(ids.max()) + 1), min(n // 2, RECUT_MAX_TOPICS) + 1):
        candidate = fcluster(tree, k, criterion="maxclust") - 1
        score = silhouette_score(square, candidate, metric="precomputed") if candidate.max() >= 1 else -np.inf
        if score > best:
            best, chosen = score, candidate
    return chosen


def cluster_points(points: np.ndarray, distance: float, max_exact: int = 2000,
                   max_share: float | None = None) -> np.ndarray:
    """A cluster id per row: average-linkage clustering on cosine distance cut at `distance` (cut again
    lower when one cluster holds more than `max_share` of the rows: `recut_lumped`); above `max_exact`
    rows, a strided sample is clustered and the rest join the nearest centroid."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(points)
    if n < 2:
        return np.zeros(n, dtype=int)
    sample = np.arange(n) if n <= max_exact else np.linspace(0, n - 1, max_exact).round().astype(int)
    model = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average")
    ids = recut_lumped(points[sample], model.fit_predict(points[sample]), distance, max_share)
    if n <= max_exact:
        return ids
    centroids = _unit_rows(np.stack([points[sample][ids == c].sum(axis=0) for c in range(ids.max() + 1)]))
    return np.argmax(points @ centroids.T, axis=1)


PERMUTATIONS = 199  # null draws of the split test: the smallest p it can give is 1 / 200


def _merge_statistics(ranges: np.ndarray, prefix: np.ndarray) -> np.ndarray:
    """Per tested merge (rows of `ranges`: left start, left end = right start, right end, as positions
    in the tree's leaf order) and per draw (first axis of `prefix`, cumulative counts per segment
    between the detector's splits along the leaf order), the largest |z| over the splits of the left
    side's late share against the merged counts' late share: (late - C q) / sqrt(C q (1 - q)),
    splits where q is 0 or 1 left out."""
    left = prefix[:, ranges[:, 1]] - prefix[:, ranges[:, 0]]  # draws x merges x segments
    merged = prefix[:, ranges[:, 2]] - prefix[:, ranges[:, 0]]
    c, total = left.sum(axis=2), merged.sum(axis=2)
    best = np.zeros(c.shape)
    for k in range(1, left.shape[2]):  # the late part starts at segment k
        q = merged[:, :, k:].sum(axis=2) / np.maximum(total, 1)
        var = c * q * (1 - q)
        z = np.where(var > 0, (left[:, :, k:].sum(axis=2) - c * q) / np.sqrt(np.where(var > 0, var, 1)), 0.0)
        best = np.maximum(best, np.abs(z))
    return best


def _tree_parts(root, members: np.ndarray, windows: list[int | None], n_windows: int,
                detector: ChangepointTrendDetector, min_part: int) -> list[list[int]]:
    """The parts of one cluster's tree (leaf positions): every merge of two sides with at least
    `min_part` dated documents each is tested; a significant merge is undone, and so is every merge
    above it.

    The test of one merge is the change-point detector's question (does one side's share of the
    merged documents change at a split of the windows?), scored by |z|. The level is held over all
    merges of the cluster at once by permutation (Westfall and Young's max-statistic method): the
    cluster's dates are shuffled over its documents `PERMUTATIONS` times (its own history kept, any
    link between where a document sits in the tree and when it is dated broken), and a merge is
    undone when its |z| is beyond the largest |z| of any merge in all but `alpha` of the shuffles.
    Why not Bonferroni over the merges: the merges are nested, so their tests are strongly
    dependent, and dividing the level by their number is so conservative that a late kind of seven
    documents under a merge of seventeen stays merged; the permutation gives the exact level for
    the tree at hand, with no threshold or distribution to fit. A fixed seed keeps answers
    repeatable. Hand-written: neither scipy nor statsmodels offers a max-statistic permutation test
    over the nodes of a tree. Cost: nodes x splits x draws, from prefix sums along the leaf order
    (each subtree is a run of consecutive leaves)."""
    nodes, stack = [], [root]
    while stack:  # explicit stack: a long chain of merges would pass Python's recursion limit
        node = stack.pop()
        nodes.append(node)
        if not node.is_leaf():
            stack += [node.get_right(), node.get_left()]
    order = root.pre_order()
    position = {leaf: i for i, leaf in enumerate(order)}
    span: dict[int, tuple[int, int]] = {}
    for node in reversed(nodes):  # children before parents
        if node.is_leaf():
            span[node.id] = (position[node.id], position[node.id] + 1)
        else:
            span[node.id] = (span[node.get_left().id][0], span[node.get_right().id][1])
    # Only the counts on either side of each split matter: windows are mapped to the segments
    # between the detector's splits, so the cost does not grow with the number of windows.
    splits = detector.splits(n_windows)
    leaf_window = np.asarray([-1 if windows[members[leaf]] is None else
                              int(np.searchsorted(splits, windows[members[leaf]], side="right"))
                              for leaf in order])
    dated_prefix = np.concatenate([[0], np.cumsum(leaf_window >= 0)])
    inner = [n for n in nodes if not n.is_leaf()]
    tested = [n for n in inner if min(dated_prefix[span[side.id][1]] - dated_prefix[span[side.id][0]]
                                      for side in (n.get_left(), n.get_right())) >= min_part]
    if not tested:
        return [root.pre_order()]
    ranges = np.asarray([(span[n.id][0], span[n.get_left().id][1], span[n.id][1]) for n in tested])
    dated = np.flatnonzero(leaf_window >= 0)
    rng = np.random.default_rng(0)
    draws = np.tile(leaf_window, (PERMUTATIONS + 1, 1))
    for b in range(1, PERMUTATIONS + 1):
        draws[b, dated] = rng.permutation(leaf_window[dated])
    onehot = np.zeros((PERMUTATIONS + 1, len(order) + 1, len(splits) + 1), dtype=np.int32)
    rows, cols = np.nonzero(draws >= 0)
    onehot[rows, cols + 1, draws[rows, cols]] = 1
    stats = _merge_statistics(ranges, np.cumsum(onehot, axis=1))
    null_max = stats[1:].max(axis=1)
    observed = stats[0]
    p_values = (1 + (null_max[None, :] >= observed[:, None] - 1e-9).sum(axis=1)) / (PERMUTATIONS + 1)
    broken = {n.id for n, p in zip(tested, p_values) if p <= detector.alpha}
    for node in reversed(inner):  # children before parents: a merge above a cut is undone too
        if node.get_left().id in broken or node.get_right().id in broken:
            broken.add(node.id)
    parts, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.id in broken:
            stack += [node.get_right(), node.get_left()]
        else:
            parts.append(node.pre_order())
    return parts


def split_by_history(points: np.ndarray, ids: np.ndarray, windows: list[int | None], n_windows: int,
                     detector: ChangepointTrendDetector, min_part: int = 3, max_exact: int = 2000) -> np.ndarray:
    """`ids` with every cluster split where its average-linkage tree joins two sides whose timing
    differs (`_tree_parts`); `windows` gives each row's window index (None: undated). Parts with
    fewer than `min_part` documents join the nearest larger part. The subtree of a flat cluster is
    the tree of its members alone, so each cluster is re-linked on its own (scipy), never the whole
    corpus; a cluster of more than `max_exact` rows is split on a strided sample and the rest join
    the nearest part."""
    from scipy.cluster.hierarchy import linkage, to_tree

    if n_windows < 2:
        return ids
    dated = np.asarray([w is not None for w in windows])
    out = ids.copy()
    next_id = int(ids.max()) + 1 if len(ids) else 0
    for c in sorted(set(ids.tolist())):
        everyone = np.flatnonzero(ids == c)
        members = everyone if len(everyone) <= max_exact else \
            everyone[np.linspace(0, len(everyone) - 1, max_exact).round().astype(int)]
        if int(dated[members].sum()) < 2 * min_part:
            continue
        root = to_tree(linkage(points[members], method="average", metric="cosine"))
        found = _tree_parts(root, members, windows, n_windows, detector, min_part)
        parts = [p for p in found if len(p) >= min_part]
        if len(parts) < 2:
            continue
        centroids = _unit_rows(np.stack([points[members[p]].sum(axis=0) for p in parts]))
        part_ids = np.concatenate([[c], np.arange(next_id, next_id + len(parts) - 1)])
        small = members[[i for p in found if len(p) < min_part for i in p]]
        rows = np.concatenate([np.setdiff1d(everyone, members), small]).astype(int)
        for part, new in zip(parts, part_ids):
            out[members[part]] = new
        if len(rows):
            out[rows] = part_ids[np.argmax(points[rows] @ centroids.T, axis=1)]
        next_id += len(parts) - 1
    return out


def cover_votes(member_topics: list[list[int]], canonical: Canonical) -> dict[int, float]:
    """Per topic carried by a member, its vote to name the cluster: the sum over members of the best
    cosine between that topic's centroid and the member's own topics (1 for a member carrying it).

    Why not a count of the members carrying it: a small model names one kind of document with
    near-synonyms ("Banking", "Credit card", "Bank"), so a count picks whichever variant happened to
    repeat, often a narrow one; a member whose labels are close to a candidate supports it in part,
    so the name chosen is the label that best covers what all members were called. A member without
    labels does not vote. Cost: candidates x members' topics, each cluster on its own."""
    candidates = sorted({t for topics in member_topics for t in topics})
    if not candidates:
        return {}
    vectors = np.stack([canonical.topics[t].centroid for t in candidates]).astype(np.float64)
    index = {t: i for i, t in enumerate(candidates)}
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, 1.0)  # a topic fully supports itself, whatever its centroid's norm
    votes = np.zeros(len(candidates))
    for topics in member_topics:
        if topics:
            votes += sims[:, [index[t] for t in dict.fromkeys(topics)]].max(axis=1)
    return {t: float(votes[index[t]]) for t in candidates}


def medoid_votes(member_topics: list[list[int]], canonical: Canonical) -> dict[int, float]:
    """Per topic carried by a member, its cosine to the mean of every topic the members carry (each
    member's topics counted once each): the cluster's medoid label scores highest.

    Why: a small model calls most documents of a kind by a few broad labels and the odd one by a
    narrow or off-field label; the broad ones sit near the centre of all the labels the members got,
    while a narrow label repeated by two members ("Art" on two font packages) wins a vote per member.
    The medoid is the label that the whole cluster's labelling points to."""
    candidates = sorted({t for topics in member_topics for t in topics})
    if not candidates:
        return {}
    carried = [t for topics in member_topics for t in dict.fromkeys(topics)]
    vectors = {t: np.asarray(canonical.topics[t].centroid, dtype=np.float64) for t in candidates}
    centre = np.sum([vectors[t] for t in carried], axis=0) / len(carried)
    return {t: float(vectors[t] @ centre) for t in candidates}


NAMING_VOTES = {"medoid": medoid_votes, "cover": cover_votes}


def name_clusters(ids: np.ndarray, doc_topics: list[list[int]], canonical: Canonical,
                  raw_labels: list[list[str]], naming: str = "medoid") -> dict[int, int | None]:
    """Per cluster, the index of the topic that names it (new topics are appended to `canonical`);
    None for a cluster without any label. `naming` picks the vote (`medoid_votes` or `cover_votes`)."""
    vote = NAMING_VOTES[naming]
    order = sorted(set(ids.tolist()), key=lambda c: (-int(np.sum(ids == c)), c))
    taken: set[int] = set()
    names: dict[int, int | None] = {}
    for c in order:
        members = np.flatnonzero(ids == c)
        votes = vote([doc_topics[d] for d in members], canonical)
        free = [t for t, _ in sorted(votes.items(), key=lambda item: (-item[1], item[0])) if t not in taken]
        if free:
            names[c] = free[0]
        else:
            words = Counter(label for d in members for label in raw_labels[d])
            if not words:
                names[c] = None
                continue
            # the name may repeat another topic's: `distinct.py` merges the two or tells them apart by a word
            name = max(words, key=lambda w: (words[w], w))
            dim = canonical.topics[0].centroid.shape[0] if canonical.topics else 1
            canonical.topics.append(Topic(label=name, members=[], centroid=np.zeros(dim, dtype=np.float32)))
            names[c] = len(canonical.topics) - 1
        taken.add(names[c])
    return names


def cluster_primary(doc_topics: list[list[int]], canonical: Canonical, doc_vectors: dict[int, np.ndarray],
                    raw_labels: list[list[str]], label_weight: float, distance: float,
                    max_exact: int = 2000, windows: list[int | None] | None = None, n_windows: int = 0,
                    detector: ChangepointTrendDetector | None = None, naming: str = "medoid",
                    max_share: float | None = None) -> Assignment:
    """Each embedded document's primary is its cluster's topic; its own topics follow it. With
    `windows` (a window index per document) and a `detector`, clusters whose parts have different
    histories are split first (`split_by_history`)."""
    embedded = sorted(doc_vectors)
    if not embedded:
        return Assignment([list(t) for t in doc_topics], [False] * len(doc_topics))
    dim = len(doc_vectors[embedded[0]])
    label_rows = np.zeros((len(embedded), dim), dtype=np.float32)
    for row, d in enumerate(embedded):
        centroids = [canonical.topics[t].centroid for t in doc_topics[d]]
        if centroids and len(centroids[0]) == dim:
            label_rows[row] = np.mean(centroids, axis=0)
    points = document_points(np.stack([doc_vectors[d] for d in embedded]), label_rows, label_weight)
    ids = cluster_points(points, distance, max_exact, max_share)
    if windows is not None and detector is not None:
        ids = split_by_history(points, ids, [windows[d] for d in embedded], n_windows, detector)
    sub_topics = [doc_topics[d] for d in embedded]
    sub_labels = [raw_labels[d] for d in embedded]
    names = name_clusters(ids, sub_topics, canonical, sub_labels, naming)
    result = [list(t) for t in doc_topics]
    assigned = [False] * len(doc_topics)
    for row, d in enumerate(embedded):
        primary = names[int(ids[row])]
        if primary is None:
            continue
        result[d] = [primary, *(t for t in doc_topics[d] if t != primary)]
        assigned[d] = primary not in doc_topics[d]
    return Assignment(result, assigned)


def keep_closer_own_topics(doc_topics: list[list[int]], topic_vectors: dict[int, np.ndarray],
                           doc_vectors: dict[int, np.ndarray]) -> list[list[int]]:
    """Each document's topics with its primary (first) kept, and of its own other topics only those
    whose name is at least as close (cosine of unit vectors) to the document's text as its primary
    topic's name; a document without a text vector keeps all of them.

    Why: a small model gives a document a few labels, and besides the one that names its kind it
    often adds an off-field one ("Business" for a radio driver, "Home repair" for a translation
    package); the cluster's name is the reference the text is measured against, so no threshold is
    fitted. A label at least as close to the text as the cluster's name is a second subject of the
    document (an art loan's "Exhibitions" beside its cluster's "Sculpture") and stays."""
    kept = []
    for d, topics in enumerate(doc_topics):
        text = doc_vectors.get(d)
        if text is None or len(topics) < 2:
            kept.append(list(topics))
            continue
        text = np.asarray(text, dtype=np.float64)
        reference = float(np.asarray(topic_vectors[topics[0]]) @ text)
        kept.append([topics[0], *(t for t in topics[1:] if float(np.asarray(topic_vectors[t]) @ text) >= reference)])
    return kept
