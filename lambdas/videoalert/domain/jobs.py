"""Camera jobs: what the minute tick and the upload router put on the per-camera FIFO queue, and how a job is named.

One message per camera and tick (or per uploaded object version). Its message group is the camera, so SQS hands a
camera's jobs to one worker at a time, in order; its deduplication id is the camera-tick (or the object version),
so a tick or an upload event delivered twice within SQS's 5-minute deduplication interval is enqueued once.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from videoalert.domain.ids import camera_from_upload_key, floor_minute, iso, parse_iso
from videoalert_contract.names import is_valid_camera_id

# A job for an upload whose key names no valid camera still goes through the queue (the worker records it
# REJECTED UNKNOWN_CAMERA); those share one message group, since a group id must be a valid id too.
INVALID_CAMERA_GROUP = "_invalid-camera"


class JobKind(StrEnum):
    TICK = "tick"  # process the camera's due windows (and recover its overdue records) as of `now`
    UPLOAD = "upload"  # take one uploaded object version
    # score the camera's newly settled fragments (app.segments), then send the next turn with a delay: the camera's
    # segment chain (issue 32). Carries the chain's turn: a job whose turn is not the camera's is a stale copy, dropped
    SEGMENT = "segment"


class MalformedJob(ValueError):
    """A queue message that is not a camera job; it is dropped (logged), never retried."""


@dataclass(frozen=True)
class CameraJob:
    kind: JobKind
    camera_id: str
    now: datetime  # tick: the instant the windows are due as of; upload: when the event was routed
    bucket: str | None = None
    key: str | None = None  # as in the event (URL-encoded by S3 notifications)
    etag: str | None = None
    version_id: str | None = None
    turn: int | None = None  # segment jobs: the chain's turn this job takes (the camera item's chain_turn)

    @property
    def group_id(self) -> str:
        return self.camera_id if is_valid_camera_id(self.camera_id) else INVALID_CAMERA_GROUP

    @property
    def dedup_id(self) -> str:
        """The same tick minute of a camera, or the same object version, is the same job."""
        if self.kind == JobKind.TICK:
            return f"tick-{self.camera_id}-{floor_minute(self.now):%Y%m%dT%H%M}"
        if self.kind == JobKind.SEGMENT:
            return f"segment-{self.camera_id}-{self.turn}"
        digest = hashlib.sha256(f"{self.bucket}/{self.key}/{self.version_id}/{self.etag}".encode()).hexdigest()
        return f"upload-{digest[:40]}"

    def to_message(self) -> str:
        body: dict[str, Any] = {"kind": str(self.kind), "camera_id": self.camera_id, "now": iso(self.now)}
        if self.kind == JobKind.UPLOAD:
            body |= {"bucket": self.bucket, "key": self.key, "etag": self.etag, "version_id": self.version_id}
        if self.kind == JobKind.SEGMENT:
            body |= {"turn": self.turn}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_message(cls, text: str) -> CameraJob:
        try:
            body = json.loads(text)
            kind = JobKind(body["kind"])
            camera_id, now = body["camera_id"], parse_iso(body["now"])
            if not isinstance(camera_id, str) or not camera_id:
                raise ValueError("camera_id must be a non-empty string")
            if kind == JobKind.UPLOAD:
                bucket, key = body.get("bucket"), body.get("key")
                if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
                    raise ValueError("an upload job needs bucket and key strings")
                camera_from_upload_key(key)  # the router sends uploads/<camera>/<file> keys only
                return cls(kind, camera_id, now, bucket, key, _text(body.get("etag")), _text(body.get("version_id")))
            if kind == JobKind.SEGMENT:
                turn = body.get("turn")
                if not isinstance(turn, int) or isinstance(turn, bool) or turn < 0:
                    raise ValueError("a segment job needs its chain turn (a non-negative integer)")
                return cls(kind, camera_id, now, turn=turn)
            return cls(kind, camera_id, now)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedJob(f"not a camera job: {exc}") from exc


def _text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value or None


def tick_ready_at(now: datetime, settle_seconds: int) -> datetime:
    """When the minute that ended last (at floor_minute(now)) has settled: the tick fans out then, not before.

    EventBridge fires a rate(1 minute) rule somewhere within each minute, not on its first second; a tick that fires
    before the window that just ended has settled waits for it (at most settle_seconds), so the window is cut in
    this tick rather than the next one, a minute later.
    """
    return floor_minute(now) + timedelta(seconds=settle_seconds)
