"""The head refit on users' labels and its promotion gate (videoalert_training.retrain_head)."""
from __future__ import annotations

import numpy as np

from videoalert_training.retrain_head import Head, at_threshold, fit_head, gate


def test_the_refit_head_learns_the_labelled_false_alerts_and_keeps_people():
    rng = np.random.default_rng(0)
    # Given a head that scores people (+ direction) high and a statue-like cluster high as well
    start = Head(np.array([1.0, 1.0, 0.0]), 0.0)
    people = rng.normal([2.0, 0.0, 0.0], 0.3, (200, 3))
    statue = rng.normal([0.0, 2.0, 1.0], 0.3, (20, 3))
    assert (start.scores(statue) > 0.6).all()
    # When the head is refit on the statue labelled not a person against the people
    x = np.vstack([statue, people])
    y = np.concatenate([np.zeros(len(statue)), np.ones(len(people))])
    w = np.concatenate([np.full(len(statue), 1 / len(statue)), np.full(len(people), 1 / len(people))])
    head = fit_head(start, x, y, w, pull=0.001)
    # Then the statue falls under 0.5 and the people stay over it
    assert (head.scores(statue) < 0.5).mean() > 0.9
    assert (head.scores(people) > 0.5).mean() > 0.95


def figures(recall_found: int, false_positives: int, right: int) -> dict:
    labels = np.array([1] * 10 + [0] * 10)
    scores = np.array([0.9] * recall_found + [0.1] * (10 - recall_found) + [0.9] * false_positives
                      + [0.1] * (10 - false_positives))
    held = np.array([0.1] * right + [0.9] * (4 - right))
    return {"real_validation": at_threshold(scores, labels, 0.5),
            "labelled_validation": at_threshold(held, np.zeros(4), 0.5)}


def test_the_gate_promotes_only_a_model_not_worse_on_validation_and_better_on_the_labels():
    released = figures(9, 1, 1)
    assert gate(released, figures(9, 1, 3), tolerance=0.0)["promote"]
    # Worse on the real validation split (a person lost, or a false positive more): not promoted
    lost = gate(released, figures(8, 1, 4), tolerance=0.0)
    assert not lost["promote"] and not lost["not_worse_on_real_validation"]
    assert not gate(released, figures(9, 2, 4), tolerance=0.0)["promote"]
    # The same on the labels: not promoted, whatever the validation split says
    same = gate(released, figures(10, 0, 1), tolerance=0.0)
    assert not same["promote"] and not same["better_on_labelled"] and "not better" in same["reasons"][0]
