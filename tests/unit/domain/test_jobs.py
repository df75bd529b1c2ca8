"""Camera jobs: the message, its FIFO group and deduplication id, and when a tick may fan out."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from videoalert.domain.jobs import INVALID_CAMERA_GROUP, CameraJob, JobKind, MalformedJob, tick_ready_at

T = datetime(2026, 12, 4, 6, 1, 2, tzinfo=UTC)


def test_a_tick_job_round_trips_and_is_grouped_by_camera():
    job = CameraJob(JobKind.TICK, "cam1", T)
    assert CameraJob.from_message(job.to_message()) == job
    assert job.group_id == "cam1"


def test_the_same_camera_and_tick_minute_is_one_job_for_sqs_deduplication():
    # Given two ticks of the same minute (EventBridge delivered the schedule twice, seconds apart)
    first, again = CameraJob(JobKind.TICK, "cam1", T), CameraJob(JobKind.TICK, "cam1", T.replace(second=40))
    # Then they share a deduplication id; the next minute's tick and another camera's do not
    assert first.dedup_id == again.dedup_id
    assert first.dedup_id != CameraJob(JobKind.TICK, "cam1", T.replace(minute=2)).dedup_id
    assert first.dedup_id != CameraJob(JobKind.TICK, "cam2", T).dedup_id
    assert len(first.dedup_id) <= 128


def test_an_upload_job_is_one_per_object_version():
    job = CameraJob(JobKind.UPLOAD, "cam1", T, "bucket", "uploads/cam1/a%20b.mp4", '"e1"', "v1")
    assert CameraJob.from_message(job.to_message()) == job
    assert job.dedup_id == CameraJob(JobKind.UPLOAD, "cam1", T.replace(minute=9), "bucket", "uploads/cam1/a%20b.mp4",
                                     '"e1"', "v1").dedup_id
    assert job.dedup_id != CameraJob(JobKind.UPLOAD, "cam1", T, "bucket", "uploads/cam1/a%20b.mp4", '"e2"',
                                     "v2").dedup_id


def test_an_upload_for_an_invalid_camera_id_still_gets_a_valid_group():
    job = CameraJob(JobKind.UPLOAD, "bad camera ü", T, "bucket", "uploads/bad camera ü/x.mp4")
    assert job.group_id == INVALID_CAMERA_GROUP


@pytest.mark.parametrize("body", ["not json", "[]", '{"kind": "tick"}', '{"kind": "nope", "camera_id": "c", '
                                  '"now": "2026-12-04T06:01:00Z"}', '{"kind": "upload", "camera_id": "c", '
                                  '"now": "2026-12-04T06:01:00Z"}', '{"kind": "tick", "camera_id": 5, '
                                  '"now": "2026-12-04T06:01:00Z"}'])
def test_a_message_that_is_not_a_camera_job_is_malformed(body):
    with pytest.raises(MalformedJob):
        CameraJob.from_message(body)


def test_a_tick_is_ready_once_the_minute_that_just_ended_has_settled():
    assert tick_ready_at(T, 12) == datetime(2026, 12, 4, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("key", ["videos/../x", "videos/cam1/x.mp4", "uploads/cam1/", "uploads/x.mp4", "../x"])
def test_an_upload_job_for_a_key_outside_uploads_is_malformed(key):
    # A job the router never sends (it routes uploads/<camera>/<file> keys only): dropped, never retried
    body = CameraJob(JobKind.UPLOAD, "cam1", T, "bucket", key).to_message()
    with pytest.raises(MalformedJob, match="uploads/<camera>/<file>"):
        CameraJob.from_message(body)
