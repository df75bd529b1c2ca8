"""The segment chain (issue 32, docs/latency.md): each camera's stream scored every segment_seconds by a job that,
under the camera's lease, scores what has settled (app.segments, through lifecycle.run_camera) and sends the camera's
next turn with a delay. The chain's turn, kept on the camera item and moved on in the lease's own write, makes a copy
of a turn (SQS delivers at least once) a stale job that is dropped; the minute tick restarts a chain gone silent."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from videoalert.app.dependencies import Dependencies
from videoalert.app.lifecycle import run_camera
from videoalert.app.outcomes import ClipOutcome, Skip
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.ids import parse_iso, utc
from videoalert.domain.jobs import CameraJob, JobKind

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]

# A camera's segment chain is silent when it has not taken the camera for this many segments (and at least this long):
# the tick, once a minute, starts it afresh. A chain stops when a job's continuation is lost (the worker died between
# its work and sending it, or SQS refused it), when the camera is disabled, and on the first deploy.
CHAIN_SILENT_SEGMENTS = 4
CHAIN_SILENT_MIN_S = 20
# A restarted chain's turn is this far past the old one, so none of the old chain's jobs (at most turn + 1) matches.
CHAIN_RESTART_STEP = 1000


def _chain(camera: CameraConfig) -> tuple[int | None, datetime | None]:
    turn, at = camera.item.get("chain_turn"), camera.item.get("chain_at")
    return (int(turn) if turn is not None else None), (parse_iso(str(at)) if at else None)


def revive_chain(deps: Deps, camera: CameraConfig) -> bool:
    """Start the camera's segment chain if it is silent (called by the tick under the camera's lease); True if a
    first job was sent."""
    period = deps.settings.segment_seconds
    if period <= 0 or deps.segment_jobs is None or not camera.enabled:
        return False
    turn, at = _chain(camera)
    now = utc(deps.clock())
    if at is not None and now - at < timedelta(seconds=max(CHAIN_SILENT_MIN_S, CHAIN_SILENT_SEGMENTS * period)):
        return False
    fresh = (turn or 0) + CHAIN_RESTART_STEP
    if not deps.cameras.start_chain(camera.camera_id, turn, fresh, now):
        return False  # another run started it, or the chain took a turn meanwhile: it is alive
    logger.info("camera %s: segment chain started at turn %d (last turn %s at %s)", camera.camera_id, fresh, turn, at)
    deps.segment_jobs.send_later(CameraJob(JobKind.SEGMENT, camera.camera_id, now, turn=fresh), 0)
    return True


def work_segment(deps: Deps, job: CameraJob, holder: str) -> list[ClipOutcome]:
    """One turn of a camera's segment chain: under the camera's lease (taken only for the chain's current turn),
    score what has settled since the last turn and complete the minutes that have settled (lifecycle.run_camera),
    then send the next turn, due one segment after this one started. A stale copy of a turn is dropped; a turn that
    finds the camera held by a tick or upload job comes back one segment later."""
    started = utc(deps.clock())
    period = deps.settings.segment_seconds
    camera = deps.cameras.get(job.camera_id)
    if camera is None or not camera.enabled or period <= 0:
        return []  # removed or disabled (or segments off): the chain ends; the tick starts it again if need be
    hold = timedelta(seconds=deps.settings.lease_seconds)
    leased = deps.cameras.lease(camera.camera_id, holder, started, hold, turn=job.turn)
    if leased is None:
        current = deps.cameras.get(job.camera_id)
        if current is None or _chain(current)[0] != job.turn:
            logger.info("camera %s: segment turn %s is stale; dropped", job.camera_id, job.turn)
            return [ClipOutcome(None, job.camera_id, Skip.DUPLICATE, reason="stale segment turn",
                                metrics={"SegmentTurnsDropped": 1})]
        if deps.segment_jobs is not None:
            deps.segment_jobs.send_later(job, period)
        return [ClipOutcome(None, job.camera_id, Skip.BUSY, metrics={"CameraBusy": 1})]
    try:
        outcomes = run_camera(deps, leased, started)
    finally:
        # The next turn, whatever happened to this one: an error here must not end the chain.
        if deps.segment_jobs is not None and job.turn is not None:
            elapsed = (utc(deps.clock()) - started).total_seconds()
            deps.segment_jobs.send_later(CameraJob(JobKind.SEGMENT, job.camera_id, started, turn=job.turn + 1),
                                         max(0.0, period - elapsed))
        deps.cameras.release(camera.camera_id, holder)
    return outcomes
