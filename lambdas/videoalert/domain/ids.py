"""Deterministic video IDs, clip windows and S3 keys: the same input always gives the same names."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from videoalert_contract.names import UPLOADS_PREFIX, VIDEOS_PREFIX

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Window:
    """A clip window [start, end) in UTC."""

    start: datetime
    end: datetime


def utc(dt: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive input is taken as UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def floor_minute(dt: datetime) -> datetime:
    return utc(dt).replace(second=0, microsecond=0)


def iso(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def due_windows(cursor: datetime | None, now: datetime, *, settle_seconds: int, max_windows: int,
                max_catchup: timedelta) -> list[Window]:
    """Whole-minute windows from the cursor up to now minus the settle lag, oldest first, at most max_windows.

    Without a cursor only the latest settled window is due; a cursor older than max_catchup (the stream's
    retention: older media is gone) restarts at the oldest minute still kept.
    """
    settled_end = floor_minute(utc(now) - timedelta(seconds=settle_seconds))
    oldest = floor_minute(utc(now) - max_catchup)
    start = settled_end - WINDOW if cursor is None else max(floor_minute(cursor), oldest)
    windows: list[Window] = []
    while start + WINDOW <= settled_end and len(windows) < max_windows:
        windows.append(Window(start, start + WINDOW))
        start += WINDOW
    return windows


def stream_video_id(camera_id: str, window_start: datetime) -> str:
    return f"{camera_id}-{utc(window_start).strftime('%Y%m%dT%H%M%SZ')}"


def upload_video_id(camera_id: str, bucket: str, key: str, etag: str) -> str:
    """Same object (bucket, key, content tag) -> same ID, so a replayed upload event is a duplicate."""
    digest = hashlib.sha256(f"{bucket}/{key}/{etag.strip(chr(34))}".encode()).hexdigest()[:16]
    return f"{camera_id}-up-{digest}"


def upload_window_id(upload_video_id: str, index: int) -> str:
    """The record of window `index` (1, 2, ...) of a long upload; window 0 is the upload's own id."""
    return upload_video_id if index == 0 else f"{upload_video_id}-w{index:04d}"


def upload_windows(duration_s: float | None) -> int:
    """How many one-minute windows an upload of this length is analysed in (the last takes the rest)."""
    if not duration_s or duration_s <= 0:
        return 1
    return max(1, math.ceil(duration_s / WINDOW.total_seconds() - 1e-3))


def video_key(camera_id: str, window_start: datetime, video_id: str, part: int = 1) -> str:
    d = utc(window_start)
    suffix = ".mp4" if part == 1 else f".part{part}.mp4"
    return f"{VIDEOS_PREFIX}{camera_id}/{d:%Y}/{d:%m}/{d:%d}/{video_id}{suffix}"


def frame_key(camera_id: str, window_start: datetime, video_id: str) -> str:
    """The best frame of a clip (a JPEG written once, when the rule alerts), beside the clip under its video id."""
    return video_key(camera_id, window_start, video_id).removesuffix(".mp4") + ".best.jpg"


class NotAnUploadKey(ValueError):
    """The object key is not of the form uploads/<camera>/<name>."""


def camera_from_upload_key(raw_key: str) -> tuple[str, str]:
    """Camera ID and decoded key of an object under uploads/ (S3 events URL-encode keys)."""
    key = unquote_plus(raw_key)
    parts = key.split("/")
    if not key.startswith(UPLOADS_PREFIX) or len(parts) < 3 or not parts[-1]:
        raise NotAnUploadKey(f"expected uploads/<camera>/<file>, got {key!r}")
    return parts[1], key
