"""Fan-out: the minute tick enqueues one job per camera, uploads are routed to their camera's queue group, and a
camera worker takes one job under the camera's lease.

Two guards keep a camera's windows in order and on one worker at a time:
- the SQS FIFO queue: the message group is the camera, so SQS delivers a group's next message only after the
  previous one was deleted (or its visibility timeout ran out), and the deduplication id (camera + tick minute,
  or the object version) drops a tick or an upload event delivered twice;
- the camera lease (cameras table, conditional write): a worker that finds another worker's lease still running
  does not touch the camera. The queue alone would suffice while every worker ends within the visibility timeout;
  the lease keeps the guarantee when one does not (a message whose visibility ran out under a worker that is still
  running), for the in-line run and redrives, and on an emulator whose queue is not strict.
Within a job, the records' own leases and conditional writes (store.videos) still make every result exactly once.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from videoalert.app.dispatch import ClipOutcome, Dependencies, Skip, run_camera, take_upload, tick_camera
from videoalert.domain.camera import CameraConfig
from videoalert.domain.ids import camera_from_upload_key, parse_iso, utc
from videoalert.domain.jobs import CameraJob, JobKind, tick_ready_at

logger = logging.getLogger(__name__)


class CameraBusy(Exception):
    """Another worker holds the camera's lease; an upload job is retried later (its message stays queued)."""


class NoJobQueue(RuntimeError):
    """Fan-out was asked for, but no job queue is configured."""


@dataclass(frozen=True)
class FanOut:
    cameras: int
    sent: int
    now: datetime  # the instant the jobs are due as of (after waiting for the last minute to settle)
    waited_s: float  # how long the tick waited for the minute to settle
    send_s: float  # listing the cameras and sending their jobs
    pages: int = 0  # pages of the registry's keys-only scan read

    def describe(self) -> dict[str, object]:
        return {"cameras": self.cameras, "jobs_sent": self.sent, "registry_pages": self.pages,
                "now": self.now.isoformat(), "waited_s": round(self.waited_s, 3), "send_s": round(self.send_s, 3)}


def fan_out(deps: Dependencies, scheduled_at: datetime) -> FanOut:
    """Enqueue one tick job per registered camera (disabled ones too: their overdue records are still recovered).

    The cameras come from the registry (the cameras table), a scan page at a time, each page's jobs sent in batches
    of ten before the next page is read: nothing about the cameras is in the function's environment or the stack.

    The tick waits until the minute that just ended has settled (settle_seconds after it ended) so that minute is
    cut now, not a tick later; EventBridge fires somewhere within the minute, so a late firing waits for nothing.
    """
    if deps.jobs is None:
        raise NoJobQueue("fan-out needs the camera job queue (CAMERA_JOBS_QUEUE_URL)")
    now = max(utc(deps.clock()), utc(scheduled_at))
    ready = tick_ready_at(now, deps.settings.settle_seconds)
    waited = max(0.0, (ready - now).total_seconds())
    if waited > 0:
        deps.sleep(waited)
        now = max(ready, utc(deps.clock()))
    started = time.perf_counter()
    cameras = sent = pages = 0
    for page in deps.cameras.camera_id_pages():
        pages += 1
        cameras += len(page)
        if page:
            sent += deps.jobs.send([CameraJob(JobKind.TICK, c, now) for c in page])
    return FanOut(cameras, sent, now, waited, time.perf_counter() - started, pages)


def route_upload(deps: Dependencies, bucket: str, raw_key: str, *, etag: str | None,
                 version_id: str | None) -> CameraJob:
    """Put an uploaded object on its camera's queue group (raises ids.NotAnUploadKey for a key outside
    uploads/<camera>/)."""
    if deps.jobs is None:
        raise NoJobQueue("routing an upload needs the camera job queue (CAMERA_JOBS_QUEUE_URL)")
    camera_id, _ = camera_from_upload_key(raw_key)
    job = CameraJob(JobKind.UPLOAD, camera_id, utc(deps.clock()), bucket, raw_key, etag, version_id)
    deps.jobs.send([job])
    return job


def work(deps: Dependencies, job: CameraJob, *, holder: str | None = None) -> list[ClipOutcome]:
    """Do one camera job under the camera's lease. A tick for a camera another worker holds is dropped (that
    worker, or the next tick, cuts the windows: the cursor loses none); an upload raises CameraBusy (retried)."""
    holder = holder or uuid.uuid4().hex
    if job.kind == JobKind.SEGMENT:
        return work_segment(deps, job, holder)
    camera = deps.cameras.get(job.camera_id)
    if camera is None:
        if job.kind == JobKind.UPLOAD and job.bucket and job.key:
            return take_upload(deps, job.bucket, job.key, etag=job.etag, version_id=job.version_id)  # REJECTED
        logger.warning("tick for camera %s, which is not registered: nothing to do", job.camera_id)
        return []
    hold = timedelta(seconds=deps.settings.lease_seconds)
    leased = deps.cameras.lease(camera.camera_id, holder, utc(deps.clock()), hold)
    if leased is None:
        if job.kind == JobKind.UPLOAD:
            raise CameraBusy(f"camera {camera.camera_id} is held by another worker; the upload is retried")
        logger.info("camera %s is held by another worker; this tick leaves its windows to it", camera.camera_id)
        return [ClipOutcome(None, camera.camera_id, Skip.BUSY, metrics={"CameraBusy": 1})]
    # Released when the job ends or raises; a worker that dies (killed, timed out) keeps it until it expires, by
    # which time its clip's lease has expired too and the next holder's recovery finishes that clip.
    try:
        camera = leased  # the cursor as the previous holder left it
        if job.kind == JobKind.UPLOAD and job.bucket and job.key:
            outcomes = take_upload(deps, job.bucket, job.key, etag=job.etag, version_id=job.version_id)
        else:
            # Due as of the later of the tick and now: a job that waited in the queue cuts what has settled since.
            outcomes = tick_camera(deps, camera, max(utc(job.now), utc(deps.clock())))
            revive_chain(deps, camera)
    except Exception:
        deps.cameras.release(camera.camera_id, holder)
        raise
    deps.cameras.release(camera.camera_id, holder)
    return outcomes


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


def revive_chain(deps: Dependencies, camera: CameraConfig) -> bool:
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


def work_segment(deps: Dependencies, job: CameraJob, holder: str) -> list[ClipOutcome]:
    """One turn of a camera's segment chain: under the camera's lease (taken only for the chain's current turn),
    score what has settled since the last turn and complete the minutes that have settled (dispatch.run_camera),
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
