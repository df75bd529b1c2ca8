"""Video IDs, windows and keys are deterministic and well-formed."""
from datetime import UTC, datetime, timedelta

import pytest

from videoalert.domain.ids import (
    NotAnUploadKey,
    camera_from_upload_key,
    due_windows,
    stream_video_id,
    upload_video_id,
    video_key,
)

NOW = datetime(2026, 11, 23, 10, 7, 42, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_without_a_cursor_only_the_latest_settled_minute_is_due():
    (window,) = due_windows(None, NOW, settle_seconds=60, max_windows=5, max_catchup=DAY)
    assert (window.start.minute, window.end.minute) == (5, 6)


def test_windows_run_from_the_cursor_to_now_minus_the_settle_lag():
    cursor = datetime(2026, 11, 23, 10, 3, tzinfo=UTC)
    windows = due_windows(cursor, NOW, settle_seconds=60, max_windows=10, max_catchup=DAY)
    assert [w.start.minute for w in windows] == [3, 4, 5]
    assert all(w.end - w.start == timedelta(minutes=1) for w in windows)


def test_a_cursor_older_than_the_stream_retention_restarts_at_the_oldest_kept_minute():
    cursor = NOW - timedelta(days=3)
    windows = due_windows(cursor, NOW, settle_seconds=60, max_windows=2, max_catchup=DAY)
    assert windows[0].start == (NOW - DAY).replace(second=0)


def test_nothing_is_due_inside_the_settle_lag():
    cursor = datetime(2026, 11, 23, 10, 6, tzinfo=UTC)
    assert due_windows(cursor, NOW, settle_seconds=120, max_windows=5, max_catchup=DAY) == []


def test_ids_and_keys_are_deterministic():
    start = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert stream_video_id("cam1", start) == "cam1-20260102T030400Z"
    assert video_key("cam1", start, "cam1-20260102T030400Z") == "videos/cam1/2026/01/02/cam1-20260102T030400Z.mp4"
    a = upload_video_id("cam1", "b", "uploads/cam1/x.mp4", '"etag1"')
    assert a == upload_video_id("cam1", "b", "uploads/cam1/x.mp4", "etag1")
    assert a != upload_video_id("cam1", "b", "uploads/cam1/x.mp4", "etag2")
    assert a.startswith("cam1-up-")


def test_upload_keys_are_url_decoded_and_checked():
    assert camera_from_upload_key("uploads/cam1/front+door%281%29.mp4") == ("cam1", "uploads/cam1/front door(1).mp4")
    for bad in ("uploads/x.mp4", "videos/cam1/a.mp4", "uploads/cam1/"):
        with pytest.raises(NotAnUploadKey):
            camera_from_upload_key(bad)
