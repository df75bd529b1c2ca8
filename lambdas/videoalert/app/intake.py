"""Intake: a clip comes in (a stream window cut from its camera's Kinesis video stream, or an uploaded object),
is checked, stored in the video bucket and recorded RECEIVED; what cannot be scored is recorded REJECTED with why."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from videoalert.app.dependencies import Dependencies
from videoalert.app.outcomes import ClipOutcome, Skip
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.errors import MediaUnreadable
from videoalert.domain.ids import (
    WINDOW,
    Window,
    camera_from_upload_key,
    iso,
    stream_video_id,
    upload_video_id,
    utc,
    video_key,
)
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Source, Status
from videoalert_contract.names import is_valid_camera_id, stream_name

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]


@dataclass(frozen=True)
class Recorded:
    """A clip whose record exists (new, or found from an earlier run): the lifecycle scores it next."""

    video_id: str
    camera: CameraConfig


def record_window(deps: Deps, camera: CameraConfig, window: Window) -> Recorded | ClipOutcome:
    """A stream window: its media fetched (GetClip), its parts stored, its record written; an idle minute writes
    nothing, media KVS cannot package or too large is REJECTED. A window recorded before is taken as it is."""
    video_id = stream_video_id(camera.camera_id, window.start)
    if deps.records.get(video_id) is not None:
        return Recorded(video_id, camera)
    if deps.clip_source is None:
        raise RuntimeError("no clip source configured for stream windows")
    new = VideoRecord(video_id=video_id, camera_id=camera.camera_id, source=Source.STREAM,
                      window_start=window.start, window_end=window.end, status=Status.RECEIVED)
    try:
        parts = deps.clip_source.fetch_clip(stream_name(camera.camera_id), window.start, window.end)
    except MediaUnreadable as exc:
        # KVS cannot package this minute (codec or frame errors): retrying gives the same answer.
        return _reject_new(deps, new, "MEDIA_UNREADABLE", str(exc)[:1000])
    if not parts:
        logger.info("camera %s: no media in %s..%s, skipping", camera.camera_id, iso(window.start), iso(window.end))
        return ClipOutcome(video_id, camera.camera_id, Skip.IDLE, metrics={"IdleWindows": 1})
    size = sum(len(p) for p in parts)
    # The clip's timeline starts at its first fragment (aws.kvs.ClipParts), later than the window when the stream
    # started mid-minute: frame times count from there.
    starts_at = getattr(parts, "starts_at", None)
    new = replace(new, size_bytes=size, parts=len(parts),
                  clip_starts_at=starts_at if isinstance(starts_at, datetime) and starts_at > window.start else None)
    if size > deps.settings.max_video_bytes:
        return _reject_new(deps, new, "TOO_LARGE",
                           f"{size} bytes is over the {deps.settings.max_video_bytes} byte limit")
    keys = [video_key(camera.camera_id, window.start, video_id, part=i + 1) for i in range(len(parts))]
    for key, data in zip(keys, parts, strict=True):
        deps.clips.put(key, data, video_id=video_id, camera_id=camera.camera_id)
    deps.records.create(replace(new, s3_bucket=deps.clips.bucket, s3_key=keys[0], more_keys=tuple(keys[1:])),
                        retain_for=deps.retain_for)
    return Recorded(video_id, camera)


def record_upload(deps: Deps, bucket: str, raw_key: str, *, etag: str | None = None,
                  version_id: str | None = None) -> Recorded | ClipOutcome:
    """The object version an upload event is about (the one it names, else the latest with its ETag: a later upload
    to the same key is another version, and another clip): copied into the video bucket, its first window recorded.
    Once that window's scoring tells the clip's length, long_uploads records the others."""
    camera_id, key = camera_from_upload_key(raw_key)
    if version_id:
        head = deps.clips.head(bucket, key, version_id=version_id)
    elif etag:
        head = deps.clips.find_version(bucket, key, etag)
    else:  # an event without either (never from S3 itself): the current object
        head = deps.clips.head(bucket, key)
    if head is None:
        logger.warning("uploaded object %s/%s (version %s, etag %s) is gone; nothing to do", bucket, key, version_id,
                       etag)
        return ClipOutcome(None, camera_id, Skip.SKIPPED, reason="OBJECT_GONE")
    # Same content at the same key is the same clip (a replayed event, or the same file uploaded twice).
    video_id = upload_video_id(camera_id, bucket, key, head.etag)
    window_start = utc(head.last_modified).replace(microsecond=0)
    new = VideoRecord(video_id=video_id, camera_id=camera_id, source=Source.UPLOAD, upload_key=key,
                      upload_version_id=head.version_id, window_start=window_start, window_end=window_start + WINDOW,
                      size_bytes=head.size_bytes, status=Status.RECEIVED, window_index=0, clip_start_s=0.0,
                      clip_end_s=WINDOW.total_seconds())

    camera = deps.cameras.get(camera_id) if is_valid_camera_id(camera_id) else None
    if camera is None:
        return _reject_new(deps, new, "UNKNOWN_CAMERA", f"camera {camera_id!r} is not registered")
    if head.size_bytes == 0:
        return _reject_new(deps, new, "EMPTY_VIDEO", "the uploaded file is empty (0 bytes)")
    if head.size_bytes > deps.settings.max_video_bytes:
        return _reject_new(deps, new, "TOO_LARGE",
                           f"{head.size_bytes} bytes is over the {deps.settings.max_video_bytes} byte limit")

    s3_key = video_key(camera_id, window_start, video_id)
    if deps.records.get(video_id) is None:
        deps.clips.copy_in(bucket, key, s3_key, video_id=video_id, camera_id=camera_id, version_id=head.version_id)
        deps.records.create(replace(new, s3_bucket=deps.clips.bucket, s3_key=s3_key, more_keys=()),
                            retain_for=deps.retain_for)
    return Recorded(video_id, camera)


def _reject_new(deps: Deps, new: VideoRecord, code: str, message: str) -> ClipOutcome:
    created = deps.records.create(replace(new, status=Status.REJECTED, reason=code, reason_detail=message),
                                  retain_for=deps.retain_for)
    logger.warning("rejected %s: %s (%s)", new.video_id, code, message)
    return ClipOutcome(new.video_id, new.camera_id, Status.REJECTED if created else Skip.DUPLICATE, reason=code,
                       metrics={"ClipsReceived": 1, "ClipsRejected": 1} if created else {})
