"""Scheduled runs: whole-minute windows from the cursor, idle minutes skipped, nothing lost or duplicated."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.conftest import scheduled_event
from videoalert.domain.ids import stream_video_id
from videoalert_local.emulator import drain_alerts

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def items(sess, res):
    return sorted(sess.resource("dynamodb").Table(res.videos_table).scan()["Items"], key=lambda i: i["video_id"])


def cursor(sess, res, camera):
    return sess.resource("dynamodb").Table(res.cameras_table).get_item(Key={"camera_id": camera})["Item"].get("cursor")


def test_windows_with_media_are_recorded_idle_minutes_skipped_and_the_cursor_moves(wired, invoke, clips_dir):
    # Given cam1's cursor at 10:00 and media only in the 10:01 minute
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    source.clips_by_start = {
        ("videoalert-cam1", T0 + timedelta(minutes=1)): [(clips_dir / "human_01.mp4").read_bytes()]
    }
    # When the scheduler fires at 10:04:30 (settle lag 60 s: windows 10:00..10:03 are due)
    invoke(scheduled_event(T0 + timedelta(minutes=4, seconds=30)))
    # Then one record exists, for 10:01, stored under the dated key, and the cursor is at 10:03
    (record,) = items(sess, res)
    assert record["video_id"] == stream_video_id("cam1", T0 + timedelta(minutes=1)) == "cam1-20261123T100100Z"
    assert record["s3_key"] == "videos/cam1/2026/11/23/cam1-20261123T100100Z.mp4"
    assert record["window_start"] == "2026-11-23T10:01:00Z" and record["window_end"] == "2026-11-23T10:02:00Z"
    assert cursor(sess, res, "cam1") == "2026-11-23T10:03:00Z"
    assert [c[1] for c in source.calls if c[0] == "videoalert-cam1"] == [T0 + timedelta(minutes=m) for m in range(3)]


def test_replaying_a_scheduled_event_creates_nothing_new(wired, invoke, clips_dir):
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    source.clips_by_start = {("videoalert-cam1", T0): [(clips_dir / "human_01.mp4").read_bytes()]}
    event = scheduled_event(T0 + timedelta(minutes=2))
    for _ in range(3):
        invoke(event)
    assert len(items(sess, res)) == 1
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1
    assert len(inference.calls) == 1


def test_a_stream_error_keeps_the_cursor_so_the_next_run_catches_up(wired, invoke, clips_dir):
    # Given the stream fails (throttled past the retries) during the first run
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    source.error = RuntimeError("ClientLimitExceededException")
    answer = invoke(scheduled_event(T0 + timedelta(minutes=3)))
    assert answer["ok"] is True and cursor(sess, res, "cam1") == "2026-11-23T10:00:00Z"
    # When the stream recovers and the next run comes a minute later
    source.error = None
    source.clips_by_start = {("videoalert-cam1", T0): [(clips_dir / "human_02.mp4").read_bytes()]}
    invoke(scheduled_event(T0 + timedelta(minutes=4)))
    # Then the missed minutes are processed: the 10:00 clip is recorded and the cursor caught up
    assert [i["video_id"] for i in items(sess, res)] == ["cam1-20261123T100000Z"]
    assert cursor(sess, res, "cam1") == "2026-11-23T10:03:00Z"


def test_catch_up_is_bounded_per_run(wired, invoke):
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    invoke(scheduled_event(T0 + timedelta(minutes=30)))
    assert cursor(sess, res, "cam1") == "2026-11-23T10:05:00Z"  # max_windows_per_run = 5


def test_a_window_split_in_parts_is_stored_as_parts_and_scored_together(wired, invoke, clips_dir):
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    part = (clips_dir / "human_01.mp4").read_bytes()
    source.clips_by_start = {("videoalert-cam1", T0): [part, part]}
    invoke(scheduled_event(T0 + timedelta(minutes=2)))
    (record,) = items(sess, res)
    assert record["more_keys"] == ["videos/cam1/2026/11/23/cam1-20261123T100000Z.part2.mp4"]
    assert inference.calls[0]["more_keys"] == record["more_keys"]


def test_a_minute_kvs_cannot_package_is_rejected_and_left_behind(wired, invoke):
    # Given KVS answers the 10:00 minute with a media error (GetClip cannot package it)
    from videoalert.domain.errors import MediaUnreadable

    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    source.error = MediaUnreadable("InvalidCodecPrivateDataException: codec private data is missing")
    # When the scheduler runs twice
    invoke(scheduled_event(T0 + timedelta(minutes=2)))
    invoke(scheduled_event(T0 + timedelta(minutes=2)))
    # Then the minute is REJECTED with the reason, once, and the cursor moved past it
    (record,) = [i for i in items(sess, res) if i["camera_id"] == "cam1"]
    assert (record["status"], record["reason"]) == ("REJECTED", "MEDIA_UNREADABLE")
    assert "codec private data" in record["reason_detail"]
    assert cursor(sess, res, "cam1") == "2026-11-23T10:01:00Z"
    assert inference.calls == []


def test_a_camera_without_a_stream_does_not_stop_the_other_cameras(wired, invoke, clips_dir):
    from videoalert.domain.errors import UnknownStream

    sess, res, deps, inference, source = wired
    for camera in ("cam1", "cam2"):
        deps.cameras.register(camera)
        deps.cameras.advance_cursor(camera, None, T0)
    real_fetch = source.fetch_clip

    def fetch(stream_name, start, end):
        if stream_name == "videoalert-cam1":
            raise UnknownStream("stream videoalert-cam1 does not exist")
        return real_fetch(stream_name, start, end)

    source.fetch_clip = fetch
    source.clips_by_start = {("videoalert-cam2", T0): [(clips_dir / "human_01.mp4").read_bytes()]}
    answer = invoke(scheduled_event(T0 + timedelta(minutes=2)))
    assert [i["camera_id"] for i in items(sess, res)] == ["cam2"]
    assert cursor(sess, res, "cam1") == "2026-11-23T10:00:00Z"  # kept: nothing lost once the stream exists
    assert any(o.get("camera_id") == "cam1" and o["status"] == "FAILED" for o in answer["outcomes"])


def test_the_deployed_dispatcher_wires_the_false_positive_memory_from_its_environment(aws):
    # Given the environment the stack sets on the dispatcher
    from videoalert.config.dispatcher import DispatcherSettings
    from videoalert.store.memory import FpMemory
    from videoalert.wiring import build_dependencies

    sess, res = aws
    env = {
        "VIDEO_BUCKET": res.video_bucket,
        "VIDEOS_TABLE": res.videos_table,
        "CAMERAS_TABLE": res.cameras_table,
        "ALERT_TOPIC_ARN": res.alert_topic_arn,
        "INFERENCE_FUNCTION_NAME": "f",
    }
    # When it is built with and without FP_MEMORY_TABLE
    with_memory = build_dependencies(
        DispatcherSettings.from_env({**env, "FP_MEMORY_TABLE": res.fp_memory_table}), session=sess, clip_source=object()
    )
    without = build_dependencies(DispatcherSettings.from_env(env), session=sess, clip_source=object())
    # Then suppression reads the memory table only when it is configured
    assert isinstance(with_memory.memory, FpMemory) and with_memory.memory.table.name == res.fp_memory_table
    assert without.memory is None
    # and the cameras are the registry's (the resources registered cam1 and cam2), never the environment's
    assert with_memory.cameras.camera_ids() == ["cam1", "cam2"]
    # and the inference requests carry clip URLs unless INFERENCE_CLIP_URLS turns them off
    assert without.settings.inference_urls is True
    assert DispatcherSettings.from_env({**env, "INFERENCE_CLIP_URLS": "0"}).inference_urls is False


def test_a_minute_whose_stream_starts_late_counts_first_seen_from_its_first_fragment(wired, invoke, clips_dir):
    # Given cam1's stream starting 25 s into 10:00 (its clip's first fragment is at 10:00:25), a person from 0 s on
    import json

    from videoalert.aws.kvs import ClipParts

    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    inference.scores = [0.95, 0.95, 0.1]
    late = ClipParts([(clips_dir / "human_01.mp4").read_bytes()], starts_at=T0 + timedelta(seconds=25))
    source.fetch_clip = lambda stream, start, end: late if (stream, start) == ("videoalert-cam1", T0) else []
    # When the minute is cut and decided
    invoke(scheduled_event(T0 + timedelta(minutes=2, seconds=5)))
    # Then the record keeps the clip's start, and the alert's first seen is 10:00:25, never 10:00:00
    record = deps.records.get(stream_video_id("cam1", T0))
    assert record.clip_starts_at == T0 + timedelta(seconds=25)
    [alert] = drain_alerts(sess, res.alert_queue_url)
    assert alert["body"]["first_seen"] == "2026-11-23T10:00:25Z"
    assert "First seen: 10:00:25" in alert["body"]["text"] and json.dumps(alert["body"])
