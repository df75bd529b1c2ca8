"""When the person of an alert was first seen: the earliest scored frame at or over the decision threshold."""
from __future__ import annotations

from datetime import datetime, timedelta

from videoalert.domain.records import VideoRecord


def first_seen(record: VideoRecord) -> datetime:
    """The wall-clock time of the record's first frame (any region) scoring at least its threshold.

    Frame times are seconds from the clip's start; a window of a long upload starts clip_start_s into its clip, so
    the clip starts at window_start - clip_start_s. A stream clip starts at its window (GetClip returns whole
    fragments, so the clip can start up to a fragment, at most 10 s, before the window: the time is that close),
    or at its first fragment when the stream started mid-minute: clip_starts_at, recorded when the clip was cut, is
    then the origin. Without a frame over the threshold (never for an ALERT) it is the window's start.
    """
    origin = record.clip_starts_at or record.window_start - timedelta(seconds=record.clip_start_s or 0.0)
    threshold = record.threshold
    times = [f.t for f in record.frame_scores or () if threshold is not None and f.score >= threshold]
    return origin + timedelta(seconds=min(times)) if times else record.window_start
