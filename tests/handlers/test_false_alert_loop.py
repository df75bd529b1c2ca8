"""The false-alert loop on moto with real clips: cooldown per event, false-positive memory, true-positive undo,
and rules edited in the table without a redeploy."""
from __future__ import annotations

import dataclasses

import pytest


def test_a_person_who_stays_five_minutes_gets_one_alert_and_a_later_visit_another(loop):
    # Given a person on camera for minutes 0-4, nobody at 5-9, and the person back at minute 10
    decisions = [loop.minute(m, "human_02" if m < 5 or m == 10 else None) for m in range(11)]
    seen = [d for d in decisions if d is not None]
    # Then minute 0 alerts, minutes 1-4 are cooldowns of that alert, and minute 10 starts a new event
    assert [r["decision"] for r in seen] == ["ALERT", "COOLDOWN", "COOLDOWN", "COOLDOWN", "COOLDOWN", "ALERT"]
    first = seen[0]["video_id"]
    assert all(r["cooldown_of"] == first for r in seen[1:5])
    assert all(r["rule_decision"] == "ALERT" and r["rule_version"] == 1 for r in seen)
    alerts = loop.alerts()
    assert [a["body"]["video_id"] for a in alerts] == [first, seen[5]["video_id"]]


def test_a_false_positive_label_suppresses_the_recurring_object_but_not_a_person(loop):
    # Given a statue-like detection (horse_02) that alerted at minute 0
    first = loop.minute(0, "horse_02")
    assert first["decision"] == "ALERT" and len(first["top_embeddings"]) == 4
    # When the user marks it a false positive, tagged
    answer = loop.label(first["video_id"], "false_positive", tags=["statue"])
    assert answer["status"] == 200 and answer["body"]["memory_added"] == 4
    # Then the same object 20 minutes later is SUPPRESSED, recorded with the video it matched
    again = loop.minute(20, "horse_02")
    assert again["decision"] == "SUPPRESSED" and again["rule_decision"] == "ALERT"
    assert again["suppressed_by"]["video_id"] == first["video_id"] and again["suppressed_by"]["distance"] < 0.01
    # And a person the minute after still alerts (a suppressed minute does not open a cooldown either)
    person = loop.minute(21, "human_02")
    assert person["decision"] == "ALERT"
    assert [a["body"]["video_id"] for a in loop.alerts()] == [first["video_id"], person["video_id"]]
    # And the record of the label says who and when
    labelled = loop.deps.records.get(first["video_id"]).to_item()
    assert labelled["label"] == "false_positive" and labelled["label_tags"] == ["statue"]
    assert labelled["labelled_by"] == "arn:aws:iam::123456789012:user/alice" and labelled["labelled_at"]


def test_a_true_positive_label_on_a_suppressed_video_removes_the_memory_it_matched(loop):
    # Given a false-positive label and a later clip it suppressed
    first = loop.minute(0, "horse_02")
    loop.label(first["video_id"], "false_positive")
    suppressed = loop.minute(20, "horse_02")
    assert suppressed["decision"] == "SUPPRESSED"
    # When the user says the suppressed clip was a real person
    answer = loop.label(suppressed["video_id"], "true_positive")
    # Then the matching memory is gone (the clip's frames are kept as a confirmed person) and the next such
    # clip alerts again
    kinds = [e.kind for e in loop.deps.memory.entries("cam1")]
    assert answer["body"]["memory_removed"] == 4 and kinds == ["true_positive"] * 4
    assert loop.minute(40, "horse_02")["decision"] == "ALERT"


def test_the_memory_is_bounded_per_camera_oldest_out(loop):
    from videoalert.store.memory import FpMemory

    loop.deps.memory = FpMemory(loop.deps.memory.table, capacity=5)
    loop.feedback._stores = dataclasses.replace(loop.feedback._stores, memory=loop.deps.memory)
    videos = [loop.minute(m, clip)["video_id"] for m, clip in ((0, "horse_02"), (10, "empty_02"))]
    for video_id in videos:
        loop.label(video_id, "false_positive")
    entries = [e for e in loop.deps.memory.entries("cam1") if e.kind == "false_positive"]
    # 4 + 4 frames into 5 places: the oldest video's first three frames went out
    assert len(entries) == 5 and [e.video_id for e in entries].count(videos[0]) == 1


def test_a_rule_changed_in_the_table_applies_to_the_next_clip_and_is_recorded(loop):
    # Given minute 0 decided under rule v1
    assert loop.minute(0, "human_02")["rule_version"] == 1
    # When the threshold is raised above what the clip scores (0.70), through a versioned edit
    rule = loop.deps.cameras.update_rule("cam1", 1, threshold=0.9)
    # Then the next clip is decided by v2 and does not alert
    record = loop.minute(10, "human_02")
    assert rule.version == 2 and record["rule_version"] == 2 and record["decision"] == "NO_ALERT"
    assert record["rule"]["threshold"] == 0.9


def test_two_edits_from_the_same_version_cannot_both_win(loop):
    from videoalert.domain.errors import RuleConflict

    loop.deps.cameras.update_rule("cam1", 1, min_frames=3)
    with pytest.raises(RuleConflict):
        loop.deps.cameras.update_rule("cam1", 1, min_frames=5)
    rule = loop.deps.cameras.get("cam1").rule
    assert (rule.version, rule.min_frames) == (2, 3)


def test_a_disabled_rule_records_scores_but_sends_nothing(loop):
    loop.deps.cameras.update_rule("cam1", 1, enabled=False)
    record = loop.minute(0, "human_02")
    assert record["decision"] == "NO_ALERT" and "disabled" in record["decision_reason"]
    assert record["frame_scores"] and loop.alerts() == []
