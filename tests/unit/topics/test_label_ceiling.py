"""The label-F1 ceiling bench's naming rules, on hand-made vectors (no model)."""

import numpy as np
import pytest

from bench.topics_label_ceiling import Vectors, f1, medoid_name, named, oracle_name

AXES = {"Games": [1, 0, 0], "Arcade": [0.9, 0.44, 0], "Puzzle": [0.6, 0.8, 0], "Fonts": [0, 0, 1]}


def vectors() -> Vectors:
    table = Vectors(embedder=None)
    for label, row in AXES.items():
        row = np.asarray(row, dtype=np.float64)
        table[label] = row / np.linalg.norm(row)
    return table


def test_oracle_picks_the_member_label_closest_to_the_human_labels_and_medoid_the_central_one():
    labels = [["Puzzle"], ["Puzzle"], ["Games", "Fonts"]]
    human = [["Games"]] * 3
    table = vectors()
    assert oracle_name([0, 1, 2], labels, human, table) == "Games"
    # the medoid does not see the answer key: two members say Puzzle, and Fonts pulls the centre away from Games
    assert medoid_name([0, 1, 2], labels, human, table) == "Puzzle"
    assert oracle_name([0], [[]], human, table) is None


def test_naming_a_grouping_gives_every_member_its_group_name_and_f1_rewards_the_oracle():
    labels = [["Puzzle"], ["Puzzle"], ["Games", "Fonts"], ["Fonts"]]
    human = [["Games"], ["Games"], ["Games"], ["Fonts"]]
    table = vectors()
    groups = [[0, 1, 2], [3]]
    oracle = named(groups, 4, oracle_name, labels, human, table)
    medoid = named(groups, 4, medoid_name, labels, human, table)
    assert oracle == [["Games"], ["Games"], ["Games"], ["Fonts"]]
    assert medoid == [["Puzzle"], ["Puzzle"], ["Puzzle"], ["Fonts"]]
    assert f1(human, oracle, table) > f1(human, medoid, table)
    assert f1(human, oracle, table) == pytest.approx(1.0)


def test_text_words_are_the_words_and_pairs_without_stop_words():
    from bench.topics_label_ceiling import text_words

    assert text_words(["The puzzle game for X11"]) == [["game", "game x11", "puzzle", "puzzle game", "x11"]]
