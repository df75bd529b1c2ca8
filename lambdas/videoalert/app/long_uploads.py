"""A long upload: its first window's scoring tells the clip's length, so its windows: refused TOO_LONG over the
limit, else windows 1..n-1 recorded before the first is finished (a crash in between redoes the first, never loses
the others)."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from videoalert.app.dependencies import Dependencies
from videoalert.app.outcomes import ClipOutcome
from videoalert.config.worker import WorkerSettings
from videoalert.domain.ids import WINDOW, upload_window_id, upload_windows
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Status
from videoalert_contract.inference import ScoredClip

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]


def is_first_window(record: VideoRecord) -> bool:
    """The first window of an upload (a stream window has no clip_end_s; a later window has upload_of)."""
    return record.window_index == 0 and record.upload_of is None and record.clip_end_s is not None


def split_upload(deps: Deps, record: VideoRecord, result: ScoredClip) -> int | ClipOutcome:
    """The upload's number of windows, its further windows recorded; or its REJECTED outcome when too long."""
    duration = (result.video or {}).get("duration_s")
    windows = upload_windows(float(duration) if isinstance(duration, (int, float)) else None)
    if windows > deps.settings.max_upload_minutes:
        detail = (f"the upload is {float(duration or 0):.0f} s long, over the {deps.settings.max_upload_minutes}"
                  f"-minute limit")
        deps.records.finish_rejected(record.video_id, "TOO_LONG", detail, attempt=record.attempts)
        logger.warning("video %s: rejected: %s", record.video_id, detail)
        return ClipOutcome(record.video_id, record.camera_id, Status.REJECTED, reason="TOO_LONG",
                           metrics={"ClipsReceived": 1, "ClipsRejected": 1})
    _record_windows(deps, record, windows)
    return windows


def _record_windows(deps: Deps, first: VideoRecord, count: int) -> None:
    """Record windows 1..count-1 of a long upload (idempotent: a rerun finds them recorded). Each is due a second
    after the one before it, so recovery takes them in order (the cooldown joins an event across them)."""
    step = WINDOW.total_seconds()
    for index in range(1, count):
        deps.records.create(replace(
            first, video_id=upload_window_id(first.video_id, index), status=Status.RECEIVED, window_index=index,
            clip_start_s=index * step, clip_end_s=None if index == count - 1 else (index + 1) * step,
            upload_of=first.video_id, window_start=first.window_start + index * WINDOW,
            window_end=first.window_start + (index + 1) * WINDOW, attempts=None, lease_until=None, due_at=None,
            windows_total=None, created_at=None, updated_at=None, expires_at=None,
        ), retain_for=deps.retain_for, due_in=timedelta(seconds=index))
