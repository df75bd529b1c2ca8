"""Recovery: which of a camera's open records are overdue (a run died with them) and what finishes each: a clip
never claimed or whose lease expired is taken over (or FAILED after too many attempts), an alert decided but not
marked sent is published. Redrive: which clips a redrive scores again."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from enum import Enum

from videoalert.app.dependencies import Dependencies
from videoalert.app.log_context import clip_context
from videoalert.app.outcomes import ClipOutcome
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Decision, Status

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]


class Step(Enum):
    """What finishes an overdue record."""

    TAKE_OVER = "take over"  # score it (again) under a new claim
    PUBLISH = "publish"  # send its decided alert
    NOTHING = "nothing"  # a live run holds it, or another run got there first


def steps(deps: Deps, camera: CameraConfig) -> Iterator[tuple[VideoRecord, Step | ClipOutcome]]:
    """Each overdue record of the camera with what finishes it, named when the caller asks for the next one (so the
    step is decided just before it is taken, as the records before it are finished)."""
    for record in overdue(deps, camera):
        with clip_context(video_id=record.video_id, camera_id=camera.camera_id):
            step = triage(deps, record)
        yield record, step


def overdue(deps: Deps, camera: CameraConfig) -> list[VideoRecord]:
    """The camera's open records whose due time has passed (at most recover_per_run), in time order: an event's
    windows in the order the cooldown reads them."""
    due = [deps.records.get(v) for v in deps.records.due(camera.camera_id, limit=deps.settings.recover_per_run)]
    return sorted((r for r in due if r is not None), key=lambda r: (r.window_start, r.video_id))


def triage(deps: Deps, record: VideoRecord) -> Step | ClipOutcome:
    """The step that finishes an overdue record, or the outcome of ending it FAILED (its lease expired too often)."""
    video_id = record.video_id
    if record.status == Status.PROCESSING:
        if not deps.records.lease_expired(record):
            return Step.NOTHING
        attempts = record.attempts or 0
        if attempts >= deps.settings.max_attempts:
            detail = f"the run processing it stopped before finishing, {attempts} time(s); not retried again"
            if not deps.records.expire_lease(video_id, attempt=attempts, reason="LEASE_EXPIRED", detail=detail):
                return Step.NOTHING
            logger.error("video %s: %s", video_id, detail)
            return ClipOutcome(video_id, record.camera_id, Status.FAILED, reason="LEASE_EXPIRED",
                               metrics={"ClipsFailed": 1})
        logger.warning("video %s: lease of attempt %d expired at %s; taking it over", video_id, attempts,
                       record.lease_until)
        return Step.TAKE_OVER
    if record.status == Status.RECEIVED:
        logger.warning("video %s: recorded but never claimed; processing it", video_id)
        return Step.TAKE_OVER
    # DONE, or OPEN with an early alert (a minute scored in segments, not yet settled: app.segments)
    if (record.status in (Status.DONE, Status.OPEN) and record.decision == Decision.ALERT
            and not record.alert_message_id):
        logger.warning("video %s: alert decided but not marked sent; publishing it", video_id)
        return Step.PUBLISH
    return Step.NOTHING


def redrive_targets(deps: Deps, video_ids: tuple[str, ...]) -> list[tuple[VideoRecord, CameraConfig]]:
    """The given clips (every FAILED one without IDs) that exist, with their cameras."""
    records = [deps.records.get(v) for v in video_ids] if video_ids else list(deps.records.with_status(Status.FAILED))
    targets = []
    for record in records:
        camera = deps.cameras.get(record.camera_id) if record is not None else None
        if record is not None and camera is not None:
            targets.append((record, camera))
    return targets
