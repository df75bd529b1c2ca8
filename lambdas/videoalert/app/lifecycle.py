"""The clip lifecycle, the one orchestrator: a camera's tick, an upload or a redrive walked through the use cases in
order (recovery, intake, scoring, long uploads, decision, outbox); each of them is entered from here only.

A camera's minute: tick_camera -> recovery (overdue records) -> intake.record_window -> process_recorded (claim)
-> scoring.score -> decision.decide -> outbox.ensure_alert -> the cursor moves past the window.
"""
from __future__ import annotations

import logging
from datetime import datetime

from videoalert.app import decision, intake, long_uploads, outbox, recovery, scoring, segments
from videoalert.app.dependencies import Dependencies
from videoalert.app.log_context import clip_context
from videoalert.app.outcomes import ClipOutcome, Skip
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.errors import LeaseLost
from videoalert.domain.ids import Window, due_windows, stream_video_id, upload_window_id, utc
from videoalert.domain.types import Decision, Status

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]

# ---------------------------------------------------------------------------------------------- entry points


def run_schedule(deps: Deps, now: datetime) -> list[ClipOutcome]:
    """Every camera's tick in line (no job queue); one camera's trouble does not stop the others."""
    outcomes: list[ClipOutcome] = []
    for camera in deps.cameras.all_cameras():
        outcomes.extend(tick_camera(deps, camera, now))
    return outcomes


def tick_camera(deps: Deps, camera: CameraConfig, now: datetime) -> list[ClipOutcome]:
    """One camera's share of a tick: recover its overdue open records, then cut its due windows (if enabled). Its
    trouble is logged and counted, never raised: the cursor stays and the next tick retries."""
    try:
        outcomes = recover_camera(deps, camera)
        if camera.enabled:
            outcomes.extend(run_camera(deps, camera, now))
        return outcomes
    except Exception as exc:
        logger.exception("camera %s: run stopped, the cursor stays for the next run", camera.camera_id)
        return [ClipOutcome(None, camera.camera_id, Status.FAILED, reason=f"{type(exc).__name__}: {exc}",
                            metrics={"CameraRunErrors": 1})]


def run_camera(deps: Deps, camera: CameraConfig, now: datetime) -> list[ClipOutcome]:
    """The camera's due windows in order, each recorded and processed; the cursor moves past each settled one."""
    s = deps.settings
    # Whatever time the tick or job names, the cursor never passes the clock: a future minute has no media yet.
    now = min(utc(now), utc(deps.clock()))
    cursor = camera.cursor
    # Segments first (issue 32): the minutes not yet settled are scored as far as their fragments have settled, and
    # alert as soon as the rule's evidence is met; the settled ones are completed (or cut whole) below.
    outcomes = segments.score_new(deps, camera, now)
    for window in due_windows(cursor, now, settle_seconds=s.settle_seconds, max_windows=s.max_windows_per_run,
                              max_catchup=deps.max_catchup):
        outcome = process_window(deps, camera, window)
        outcomes.append(outcome)
        if not outcome.settled:
            break  # the cursor stays: the next run retries this window, nothing is lost
        if not deps.cameras.advance_cursor(camera.camera_id, cursor, window.end):
            logger.info("camera %s: another run moved the cursor; stopping here", camera.camera_id)
            break
        cursor = window.end
    return outcomes


def process_window(deps: Deps, camera: CameraConfig, window: Window) -> ClipOutcome:
    """One stream window: recorded (intake), then scored, decided and alerted; a minute scored segment by segment
    (OPEN) is completed instead (app.segments)."""
    existing = deps.records.get(stream_video_id(camera.camera_id, window.start))
    if existing is not None and existing.status == Status.OPEN:
        return segments.complete(deps, camera, window, existing)
    recorded = intake.record_window(deps, camera, window)
    if isinstance(recorded, ClipOutcome):
        return recorded
    return process_recorded(deps, recorded.video_id, recorded.camera)


def process_upload(deps: Deps, bucket: str, raw_key: str, *, etag: str | None = None,
                   version_id: str | None = None) -> ClipOutcome:
    """An uploaded object's first window: recorded (intake), then scored, decided and alerted."""
    recorded = intake.record_upload(deps, bucket, raw_key, etag=etag, version_id=version_id)
    if isinstance(recorded, ClipOutcome):
        return recorded
    return process_recorded(deps, recorded.video_id, recorded.camera)


def take_upload(deps: Deps, bucket: str, raw_key: str, *, etag: str | None = None,
                version_id: str | None = None) -> list[ClipOutcome]:
    """An uploaded object, whole: its first window, then its further windows, as many as one run takes
    (max_windows_per_run); the scheduled runs' recovery finishes the rest, in order."""
    first = process_upload(deps, bucket, raw_key, etag=etag, version_id=version_id)
    outcomes = [first]
    record = deps.records.get(first.video_id) if first.video_id else None
    if record is None or (record.windows_total or 1) <= 1:
        return outcomes
    camera = deps.cameras.get(record.camera_id)
    if camera is None:
        return outcomes
    for index in range(1, min(record.windows_total or 1, deps.settings.max_windows_per_run + 1)):
        outcomes.append(process_recorded(deps, upload_window_id(record.video_id, index), camera))
    return outcomes


def redrive(deps: Deps, video_ids: tuple[str, ...] = ()) -> list[ClipOutcome]:
    """Score the given clips again if FAILED, never claimed, or left by a dead run (expired lease); without IDs,
    every FAILED clip and every camera's overdue open record. A finished clip, or one a live run holds, is left
    alone."""
    outcomes = [process_recorded(deps, record.video_id, camera, allow_from=(Status.FAILED, Status.RECEIVED))
                for record, camera in recovery.redrive_targets(deps, video_ids)]
    if not video_ids:
        for camera in deps.cameras.all_cameras():
            outcomes.extend(recover_camera(deps, camera))
    return outcomes


def recover_camera(deps: Deps, camera: CameraConfig) -> list[ClipOutcome]:
    """Finish the camera's overdue open records (recovery names the step for each)."""
    outcomes = []
    for record, step in recovery.steps(deps, camera):
        with clip_context(video_id=record.video_id, camera_id=camera.camera_id):
            if step is recovery.Step.TAKE_OVER:
                outcome: ClipOutcome | None = _process_recorded(deps, record.video_id, camera, (Status.RECEIVED,))
            elif step is recovery.Step.PUBLISH:
                outcome = outbox.ensure_alert(deps, record, duplicate=False)
            else:
                outcome = step if isinstance(step, ClipOutcome) else None
        # Another run got there first (it holds or finished the record): nothing recovered here.
        if outcome is not None and outcome.status not in (Skip.IN_PROGRESS, Skip.DUPLICATE):
            outcome.metrics["Recovered"] = 1
            outcomes.append(outcome)
    return outcomes


# ---------------------------------------------------------------------------------------------- one recorded clip


def process_recorded(deps: Deps, video_id: str, camera: CameraConfig,
                     allow_from: tuple[Status, ...] = (Status.RECEIVED,)) -> ClipOutcome:
    """Score and decide a recorded clip once; a replay finds it taken or finished and changes nothing."""
    with clip_context(video_id=video_id, camera_id=camera.camera_id):
        return _process_recorded(deps, video_id, camera, allow_from)


def _process_recorded(deps: Deps, video_id: str, camera: CameraConfig,
                      allow_from: tuple[Status, ...]) -> ClipOutcome:
    """Claim the clip, then scoring -> (a long upload's windows) -> decision -> outbox."""
    record = deps.records.claim(video_id, allow_from=allow_from)
    if record is None:
        current = deps.records.get(video_id)
        if current is not None and current.status == Status.DONE and current.decision == Decision.ALERT:
            return outbox.ensure_alert(deps, current, duplicate=True)
        if current is not None and current.status in (Status.RECEIVED, Status.PROCESSING):
            return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS,
                               reason=f"held by another run until {current.lease_until}")
        return ClipOutcome(video_id, camera.camera_id, Skip.DUPLICATE, decision=current.decision if current else None,
                           reason=f"already {current.status if current else None}")
    try:
        result = scoring.score(deps, record, camera)
        if isinstance(result, ClipOutcome):
            return result
        windows = long_uploads.split_upload(deps, record, result) if long_uploads.is_first_window(record) else None
        if isinstance(windows, ClipOutcome):
            return windows
        finished = decision.decide(deps, record, camera, result, windows)
        if not finished.alerts:
            return finished.outcome
        alert = outbox.ensure_alert(deps, finished.record, duplicate=False)
        alert.metrics = {**finished.outcome.metrics, **alert.metrics}
        return alert
    except LeaseLost as exc:
        # This run outlived its lease and another run took the clip over: that run's result is the one kept.
        logger.warning("video %s: %s", video_id, exc)
        return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS, reason="lease lost to another run")
