"""Issue 30, case 4: one alert per event, whatever order its minutes are decided in. A minute that FAILED and is
redriven after a later minute of the same event alerted joins that event (COOLDOWN), under no second dedup key."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.conftest import scheduled_event
from videoalert.domain.ids import stream_video_id
from videoalert_local.emulator import drain_alerts

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_redriving_a_failed_minute_after_the_next_minute_alerted_sends_no_second_alert(wired, invoke, clips_dir):
    # Given a person in minutes 10:01 and 10:02; inference fails on 10:01 (FAILED), 10:02 alerts
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0 + timedelta(minutes=1))
    clip = (clips_dir / "human_01.mp4").read_bytes()
    source.clips_by_start = {("videoalert-cam1", T0 + timedelta(minutes=m)): [clip] for m in (1, 2)}
    inference.fail_next = 1
    invoke(scheduled_event(T0 + timedelta(minutes=4)))
    first, second = (stream_video_id("cam1", T0 + timedelta(minutes=m)) for m in (1, 2))
    assert deps.records.get(first).status == "FAILED" and deps.records.get(second).decision == "ALERT"
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1
    # When 10:01 is redriven (and the redrive is replayed)
    invoke({"action": "redrive", "video_ids": [first]})
    invoke({"action": "redrive", "video_ids": [first]})
    # Then it is decided positive but continues the event 10:02 alerted: no second alert
    redriven = deps.records.get(first)
    assert redriven.status == "DONE" and redriven.rule_decision == "ALERT"
    assert redriven.decision == "COOLDOWN" and redriven.cooldown_of == second
    assert drain_alerts(sess, res.alert_queue_url) == []

