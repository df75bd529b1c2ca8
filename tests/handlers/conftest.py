"""Fixtures for dispatcher tests: wired dependencies on moto with an inference double that reads S3."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from videoalert.app.dependencies import Dependencies
from videoalert.aws.s3 import ClipStore
from videoalert.aws.sns import AlertPublisher
from videoalert.domain.errors import InferenceFailed
from videoalert.store.cameras import CameraStore
from videoalert.store.videos import VideoRecords
from videoalert_contract.inference import parse_response


class ScriptedInference:
    """Answers like the inference function: checks the clip is really in S3, then returns the scripted scores.

    The dispatcher's job is what it does with scores; the real model is exercised in tests/e2e.
    """

    def __init__(self, s3, scores=(0.9, 0.95, 0.1), threshold=0.5):
        self.s3 = s3
        self.scores = list(scores)
        self.threshold = threshold
        self.calls = []
        self.fail_next = 0
        self.reject_with = None

    def score(self, request):
        payload = request.to_payload()  # what would go over the wire
        self.calls.append(payload)
        self.s3.head_object(Bucket=payload["bucket"], Key=payload["key"])  # raises if the clip was not stored
        if self.fail_next:
            self.fail_next -= 1
            raise InferenceFailed("Task timed out after 120.00 seconds")
        if self.reject_with:
            return parse_response({"ok": False, "video_id": payload["video_id"],
                                   "error": {"code": self.reject_with, "message": "bad"}})
        return parse_response({
            "ok": True, "video_id": payload["video_id"], "model_version": "test-model", "threshold": self.threshold,
            "frames": [{"t": float(i), "score": s, "region": "full"} for i, s in enumerate(self.scores)],
            "top_embeddings": [], "video": {"width": 640, "height": 480},
            "timings_ms": {"decode": 10.0, "inference": 20.0, "total": 35.0}})


class ListClipSource:
    """Serves real MP4 bytes for the (stream, window start) pairs it holds; [] (an idle minute) for the others."""

    def __init__(self, clips_by_start=None, error=None):
        self.clips_by_start = clips_by_start or {}
        self.error = error
        self.calls = []

    def fetch_clip(self, stream_name, start, end):
        self.calls.append((stream_name, start, end))
        if self.error:
            raise self.error
        return list(self.clips_by_start.get((stream_name, start), []))


@pytest.fixture
def wired(aws):
    sess, res = aws
    s3 = sess.client("s3")
    ddb = sess.resource("dynamodb")
    inference = ScriptedInference(s3)
    source = ListClipSource()
    deps = Dependencies(
        settings=res.settings(settle_seconds=60, max_windows_per_run=5),
        records=VideoRecords(ddb.Table(res.videos_table)),
        cameras=CameraStore(ddb.Table(res.cameras_table)),
        clips=ClipStore(s3, res.video_bucket),
        inference=inference,
        alerts=AlertPublisher(sess.client("sns"), res.alert_topic_arn),
        clip_source=source,
    )
    return sess, res, deps, inference, source


def upload_event(bucket, key, etag='"abc"'):
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "eventTime": "2026-11-23T10:00:00Z",
                         "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1, "eTag": etag}}}]}


def scheduled_event(when: datetime):
    return {"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
            "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {}}


class LambdaContext:
    function_name = "videoalert-dispatcher"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:videoalert-dispatcher"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis():
        return 300_000


@pytest.fixture
def invoke(wired, monkeypatch):
    """Call the real dispatcher handler with the wired dependencies."""
    import dispatcher

    monkeypatch.setattr(dispatcher, "_dependencies", wired[2])

    def _invoke(event):
        return dispatcher.handler(event, LambdaContext())

    return _invoke
