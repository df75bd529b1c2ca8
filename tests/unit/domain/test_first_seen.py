"""The alert says when the person was first seen: the first frame at or over the threshold, in wall-clock time."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from videoalert.domain.alert_message import build_alert
from videoalert.domain.first_seen import first_seen
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Decision, Source, Status
from videoalert_contract.inference import FrameScore

START = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


def record(frames, *, clip_start_s=None, threshold=0.5) -> VideoRecord:
    return VideoRecord(video_id="cam1-20261204T060000Z", camera_id="cam1", source=Source.STREAM,
                       window_start=START, window_end=START + timedelta(minutes=1), status=Status.DONE,
                       decision=Decision.ALERT, max_score=0.9, frames_over_threshold=2, threshold=threshold,
                       s3_bucket="b", s3_key="videos/cam1/x.mp4", clip_start_s=clip_start_s,
                       frame_scores=tuple(FrameScore(t, s, "full") for t, s in frames))


def test_first_seen_is_the_first_frame_over_the_threshold_whatever_the_order():
    assert first_seen(record([(30.0, 0.9), (12.5, 0.7), (5.0, 0.2)])) == START + timedelta(seconds=12.5)


def test_a_later_window_of_a_long_upload_counts_from_its_clip_start():
    # frame times are seconds from the upload's start; this record is its third minute
    late = record([(125.0, 0.9)], clip_start_s=120.0)
    assert first_seen(late) == START + timedelta(seconds=5)


def test_a_stream_clip_that_starts_mid_minute_counts_from_its_own_first_fragment():
    # Given a minute whose stream started 25 s in: the clip's frame time 5 s is 06:00:30, never 06:00:05
    from dataclasses import replace

    mid = replace(record([(5.0, 0.9)]), clip_starts_at=START + timedelta(seconds=25))
    assert first_seen(mid) == START + timedelta(seconds=30)
    assert json.loads(build_alert(mid).body)["first_seen"] == "2026-12-04T06:00:30Z"


def test_without_a_frame_over_the_threshold_it_is_the_window_start():
    assert first_seen(record([(3.0, 0.1)])) == START


def test_the_alert_body_carries_first_seen_beside_the_existing_fields():
    body = json.loads(build_alert(record([(41.0, 0.95)])).body)
    assert body["first_seen"] == "2026-12-04T06:00:41Z"
    assert {"video_id", "camera_id", "window", "score", "threshold", "video", "feedback"} <= set(body)
