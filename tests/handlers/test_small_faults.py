"""Issue 21, case 6, the dispatcher's and feedback's share: one camera-id rule everywhere, malformed events dropped,
label history bounded."""
from __future__ import annotations

import pytest

from fixtures.records import seed
from handlers.conftest import upload_event


@pytest.mark.parametrize("event", [
    upload_event("videoalert-videos-local", 123),
    upload_event(["a", "bucket"], "uploads/cam1/a.mp4"),
    upload_event("videoalert-videos-local", "uploads/cam1/a.mp4", etag=7),
    {"source": "aws.s3", "detail-type": "Object Created",
     "detail": {"bucket": {"name": "b"}, "object": {"key": {"nested": "uploads/cam1/a.mp4"}}}},
    {"source": "aws.s3", "detail-type": "Object Created",
     "detail": {"bucket": {"name": "b"}, "object": {"key": "uploads/cam1/a.mp4", "version-id": 5}}},
], ids=["int-key", "list-bucket", "int-etag", "dict-key", "int-version"])
def test_an_event_with_fields_of_the_wrong_type_is_logged_and_dropped_not_raised(wired, invoke, event):
    answer = invoke(event)
    assert answer["ok"] is False and answer["error"]["code"] == "MALFORMED_EVENT"


@pytest.mark.parametrize("bad", ["-cam", "a b", "c" * 64, "cam/1"])
def test_the_registry_refuses_a_camera_id_the_stream_names_cannot_take(wired, bad):
    # Given the camera-id rule (videoalert_contract.names): the id becomes a stream name, S3 keys and video ids
    from videoalert.app.cameras import BadCameraRequest, CameraRequest

    # When a camera with an id the rule refuses is asked for, Then it is refused before anything is made
    with pytest.raises(BadCameraRequest, match="camera id"):
        CameraRequest(bad).check()


def test_a_camera_the_rule_refuses_cannot_be_registered(wired):
    from videoalert.domain.errors import UnknownCamera

    sess, res, deps, _, _ = wired
    with pytest.raises(UnknownCamera):
        deps.cameras.register("bad camera")
    assert deps.cameras.get("bad camera") is None


def test_the_label_history_keeps_the_latest_entries_only(wired):
    # Given a decided clip
    from datetime import UTC, datetime, timedelta

    from videoalert.domain.types import Label
    from videoalert.store.videos import MAX_LABEL_HISTORY

    sess, res, deps, _, _ = wired
    seed(deps.records, {"video_id": "cam1-x", "camera_id": "cam1", "status": "DONE", "decision": "ALERT"})
    # When it is relabelled many times
    t0 = datetime(2026, 11, 23, 12, tzinfo=UTC)
    labels = [Label.FALSE_POSITIVE, Label.TRUE_POSITIVE] * 20
    for n, label in enumerate(labels):
        deps.records.write_label("cam1-x", label, (), who=f"user{n}", now=t0 + timedelta(minutes=n))
    # Then the history holds the latest MAX_LABEL_HISTORY entries, oldest first, and the label is the last one
    record = deps.records.get("cam1-x")
    assert len(record.label_history) == MAX_LABEL_HISTORY == 20
    assert [h["by"] for h in record.label_history] == [f"user{n}" for n in range(20, 40)]
    assert record.label == labels[-1] and record.labelled_by == "user39"
