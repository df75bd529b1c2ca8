"""Replaying stored frame scores under candidate rules: counts, cooldown, and a recommendation that misses nobody."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fixtures.records import record_from
from videoalert.domain.rule import Rule
from videoalert.domain.whatif import candidates, evaluate, recommend, replay

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def rec(minute, scores, decision, label=None, **extra):
    start = T0 + timedelta(minutes=minute)
    return record_from(
        {
            "video_id": f"v{minute:02d}",
            "camera_id": "cam1",
            "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": "stream",
            "status": "DONE",
            "decision": decision,
            "model_threshold": 0.5,
            "label": label,
            "frame_scores": [{"t": float(i), "score": s, "region": "full"} for i, s in enumerate(scores)],
            **extra,
        }
    )


def history():
    # A statue scores 0.6-0.7 every 10 minutes; people score above 0.9
    return [
        rec(0, [0.65, 0.62, 0.1], "ALERT", "false_positive"),
        rec(10, [0.66, 0.6, 0.1], "ALERT"),
        rec(20, [0.64, 0.61, 0.1], "ALERT", "false_positive"),
        rec(30, [0.97, 0.95, 0.9], "ALERT", "true_positive"),
        rec(40, [0.93, 0.91, 0.2], "ALERT"),
        rec(50, [0.2, 0.1, 0.1], "NO_ALERT"),
    ]


def test_a_higher_threshold_removes_the_statue_and_keeps_the_people():
    outcome = evaluate(history(), Rule(threshold=0.8, cooldown_s=0))
    assert (outcome.alerts_before, outcome.alerts_after, outcome.kept, outcome.removed, outcome.added) == (
        5,
        2,
        2,
        3,
        0,
    )
    assert outcome.false_positives_removed == 2 and outcome.people_missed == 0


def test_a_threshold_above_the_person_counts_them_as_missed():
    assert evaluate(history(), Rule(threshold=0.98, cooldown_s=0)).people_missed == 1


def test_the_recommendation_silences_labelled_false_alerts_without_dropping_people_labelled_or_not():
    # Given two labelled statue alerts, one labelled person and one unlabelled 0.93/0.91 clip (likely a person)
    current = evaluate(history(), Rule(cooldown_s=0))
    outcomes = [evaluate(history(), r) for r in candidates(Rule(cooldown_s=0), 0.5)]
    advice = recommend(outcomes, current)
    # Then the rule keeps both people (k=3 would also silence the statue but drop the unlabelled one)
    assert advice.outcome.people_missed == 0 and advice.outcome.false_positives_alerting == 0
    assert advice.outcome.alerts_after == 2 and advice.outcome.unlabelled_removed == 1
    assert 0.7 <= advice.outcome.rule.threshold <= 0.9 and advice.outcome.rule.min_frames <= 2


def test_without_a_labelled_person_nothing_is_recommended():
    records = [replace(r, label=None if r.label == "true_positive" else r.label) for r in history()]
    current = evaluate(records, Rule())
    advice = recommend([evaluate(records, r) for r in candidates(Rule(), 0.5)], current)
    assert advice.outcome is None and "true positive" in advice.reason


def test_replay_applies_the_cooldown_and_keeps_recorded_suppression():
    records = [
        rec(0, [0.9, 0.9], "ALERT"),
        rec(1, [0.9, 0.9], "COOLDOWN"),
        rec(2, [0.9, 0.9], "ALERT"),
        rec(3, [0.9, 0.9], "SUPPRESSED", suppressed_by={"video_id": "x", "distance": 0.01}),
    ]
    assert replay(records, Rule(cooldown_s=300)) == {
        "v00": "ALERT",
        "v01": "COOLDOWN",
        "v02": "COOLDOWN",
        "v03": "SUPPRESSED",
    }
    assert replay(records, Rule(cooldown_s=0))["v02"] == "ALERT"
