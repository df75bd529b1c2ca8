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


def summary_of(decision: dict) -> dict:
    released, candidate = figures(9, 1, 1), figures(9, 1, 3)
    for f in (released, candidate):
        f["labelled_train"] = at_threshold(np.array([0.1, 0.9]), np.zeros(2), 0.5)
    return {"version": "m-labels-1", "parent": "m", "threshold": 0.5, "decision": decision,
            "figures": {"released": released, "candidate": candidate}, "labels": ["export"],
            "images": {"train": 2, "validation": 4, "replay_people": 10}, "labels_by_class": {},
            "cameras": ["cam1"], "pull": 0.01, "candidate_fp32_sha256": "0" * 64, "created_at": "2026-12-07T00:00:00"}


def test_a_candidate_that_failed_the_gate_is_not_promoted_and_the_card_says_so(tmp_path):
    from videoalert_training.promote import promote
    from videoalert_training.retrain_head import card_text

    # Given a retraining whose gate failed
    summary = summary_of(gate(figures(9, 1, 1), figures(8, 1, 4), tolerance=0.0))
    target = tmp_path / "promoted"
    # When promotion is asked for, Then nothing is written and the card records both figures and the refusal
    assert promote(summary, tmp_path / "candidate.onnx", tmp_path / "models", target, tmp_path, tmp_path,
                   tmp_path) is None
    assert not target.exists()
    summary["promoted"] = None
    card = card_text(summary)
    assert "NOT PROMOTED" in card and "Promotion: none" in card
    assert "| released | 9/10" in card and "| candidate | 9/10" in card
    # And a promoted one names where it went, its version and its new threshold
    summary["decision"] = gate(figures(9, 1, 1), figures(9, 1, 3), tolerance=0.0)
    summary["promoted"] = {"to": "models", "model_version": "m-labels-1", "threshold": 0.71, "int8": None}
    card = card_text(summary)
    assert "to be promoted" in card and "written to `models` as `m-labels-1`, threshold 0.7100" in card
