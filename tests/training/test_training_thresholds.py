"""Threshold choice: the promised person recall, with as few false positives as that allows."""
import numpy as np
import pytest

from videoalert_training.thresholds import choose_threshold, confusion_at


def test_threshold_keeps_target_recall_with_fewest_false_positives():
    # Given 100 persons scored 0.30..0.99 and 100 non-persons scored 0.00..0.69
    rng = np.random.default_rng(0)
    persons, others = rng.uniform(0.30, 0.99, 100), rng.uniform(0.0, 0.69, 100)
    scores = np.concatenate([persons, others])
    labels = np.array([1] * 100 + [0] * 100)
    # When the threshold is chosen for 0.99 recall
    threshold, policy = choose_threshold(scores, labels, target_recall=0.99)
    # Then at least 99 persons pass, and raising the threshold past the next person would lose recall
    row = confusion_at(scores, labels, threshold)
    assert row.recall >= 0.99
    stricter = np.sort(persons)[1] + 1e-9  # just above the 2nd lowest person: would accept only 98
    assert confusion_at(scores, labels, stricter).recall < 0.99
    # And no threshold that still meets the target has fewer false positives
    assert row.fp == min(confusion_at(scores, labels, t).fp for t in scores
                         if confusion_at(scores, labels, t).recall >= 0.99)
    assert policy["false_positives"] == row.fp and policy["target_recall"] == 0.99


def test_threshold_sits_strictly_between_classes_when_they_separate():
    # Given perfectly separated scores
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    labels = np.array([1, 1, 1, 0, 0])
    # When choosing for full recall
    threshold, _ = choose_threshold(scores, labels, target_recall=1.0)
    # Then it leaves a margin on both sides (logit midpoint of 0.7 and 0.2)
    assert 0.2 < threshold < 0.7
    assert confusion_at(scores, labels, threshold).fp == 0


def test_threshold_needs_a_person_example():
    with pytest.raises(ValueError, match="positive"):
        choose_threshold(np.array([0.1, 0.2]), np.array([0, 0]))
