"""Cooldown events and memory suppression decide what the rule's ALERT becomes (pure: typed records, no table)."""
from datetime import UTC, datetime, timedelta

from fixtures.records import record_from
from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.gates import continuing_event, gate
from videoalert.domain.memory import MemoryEntry
from videoalert.domain.rule import Rule, decide

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def rec(minute, decision, **extra):
    start = T0 + timedelta(minutes=minute)
    return record_from({"video_id": f"cam1-{start:%H%M}", "camera_id": "cam1",
                        "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "stream", "status": "DONE",
                        "decision": decision, **extra})


def test_a_person_who_stays_continues_the_event_of_the_first_alert():
    # Given minute 0 alerted and minute 1 was a cooldown of it
    previous = [rec(0, "ALERT", event_start="2026-11-23T10:00:00Z"),
                rec(1, "COOLDOWN", cooldown_of="cam1-1000", event_start="2026-11-23T10:00:00Z")]
    # When minute 2 is positive again
    link = continuing_event(previous, T0 + timedelta(minutes=2), Rule(cooldown_s=300), "cam1-1002")
    # Then it continues the event whose alert was minute 0's
    assert link.alert_video_id == "cam1-1000" and link.previous_video_id == "cam1-1001"


def test_a_gap_longer_than_the_cooldown_starts_a_new_event():
    assert continuing_event([rec(0, "ALERT")], T0 + timedelta(minutes=6), Rule(cooldown_s=300), "x") is None


def test_negative_suppressed_and_upload_clips_do_not_extend_an_event():
    previous = [rec(1, "NO_ALERT"), rec(2, "SUPPRESSED"), rec(3, "ALERT", source="upload")]
    assert continuing_event(previous, T0 + timedelta(minutes=4), Rule(cooldown_s=300), "x") is None


def test_an_event_longer_than_max_event_alerts_again():
    previous = [rec(29, "COOLDOWN", cooldown_of="cam1-1000", event_start="2026-11-23T10:00:00Z")]
    rule = Rule(cooldown_s=300, max_event_s=1800)
    assert continuing_event(previous, T0 + timedelta(minutes=30), rule, "x") is None
    assert continuing_event(previous, T0 + timedelta(minutes=29, seconds=59), rule, "x") is not None


def test_memory_wins_over_cooldown_and_uploads_are_never_cooled_down():
    vector = tuple(float(i % 7) for i in range(512))
    memory = [MemoryEntry("cam1", "e", "cam1-fp", 1.0, 0.9, "full", vector, "2026-11-23T09:00:00Z")]
    verdict = decide([0.9, 0.9], Rule(), 0.5)
    clip = [FrameEmbedding(1.0, 0.9, vector)]
    previous = [rec(0, "ALERT")]
    at = T0 + timedelta(minutes=1)
    suppressed = gate(verdict, Rule(), window_start=at, series="stream", embeddings=clip, memory=memory,
                      previous=previous, video_id="cam1-1001")
    assert suppressed.decision == "SUPPRESSED" and suppressed.suppressed_by.video_id == "cam1-fp"
    cooled = gate(verdict, Rule(), window_start=at, series="stream", embeddings=clip, memory=[], previous=previous,
                  video_id="cam1-1001")
    assert cooled.decision == "COOLDOWN" and cooled.cooldown_of == "cam1-1000"
    upload = gate(verdict, Rule(), window_start=at, series="cam1-up-x", embeddings=clip, memory=[], previous=previous)
    assert upload.decision == "ALERT"


def test_a_clip_decided_after_a_later_minute_of_its_event_continues_that_event():
    # Given minute 2 alerted and minute 3 continued it; minute 1 (FAILED then, redriven now) is positive too
    later = [rec(2, "ALERT", event_start="2026-11-23T10:02:00Z"),
             rec(3, "COOLDOWN", cooldown_of="cam1-1002", event_start="2026-11-23T10:02:00Z")]
    # When the gate sees the later minutes of the series as well
    link = continuing_event(later, T0 + timedelta(minutes=1), Rule(cooldown_s=300), "cam1-1001")
    # Then minute 1 belongs to the event minute 2 alerted: no second alert for it
    assert link is not None and link.alert_video_id == "cam1-1002" and link.previous_video_id == "cam1-1002"


def test_a_later_alert_beyond_the_cooldown_is_another_event():
    assert continuing_event([rec(7, "ALERT")], T0 + timedelta(minutes=1), Rule(cooldown_s=300), "x") is None
    assert continuing_event([rec(2, "NO_ALERT")], T0 + timedelta(minutes=1), Rule(cooldown_s=300), "x") is None


def test_the_first_window_of_an_upload_joins_the_event_a_later_window_alerted():
    # Window 0 of a long upload failed, window 1 alerted; window 0 redriven joins window 1's event
    window1 = record_from({"video_id": "cam1-up-abc-w0001", "camera_id": "cam1", "source": "upload",
                           "upload_of": "cam1-up-abc", "window_start": "2026-11-23T10:01:00Z", "status": "DONE",
                           "decision": "ALERT", "window_index": 1})
    link = continuing_event([window1], T0, Rule(cooldown_s=300), "cam1-up-abc", series="cam1-up-abc")
    assert link is not None and link.alert_video_id == "cam1-up-abc-w0001"
