"""A camera worker's job: one camera's tick or upload, done under the camera's lease (cameras table, conditional
write), so one worker at a time touches a camera even when the FIFO queue's visibility timeout ran out under a worker
still running (see fanout for the queue's own guard). Within a job, the records' leases and conditional writes
(store.videos) still make every result exactly once."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from videoalert.app import lifecycle, segment_chain
from videoalert.app.dependencies import Dependencies
from videoalert.app.outcomes import ClipOutcome, Skip
from videoalert.config.worker import WorkerSettings
from videoalert.domain.ids import utc
from videoalert.domain.jobs import CameraJob, JobKind

logger = logging.getLogger(__name__)


class CameraBusy(Exception):
    """Another worker holds the camera's lease; an upload job is retried later (its message stays queued)."""


def work(deps: Dependencies[WorkerSettings], job: CameraJob, *, holder: str | None = None) -> list[ClipOutcome]:
    """Do one camera job under the camera's lease. A tick for a camera another worker holds is dropped (that
    worker, or the next tick, cuts the windows: the cursor loses none); an upload raises CameraBusy (retried)."""
    holder = holder or uuid.uuid4().hex
    if job.kind == JobKind.SEGMENT:
        return segment_chain.work_segment(deps, job, holder)
    camera = deps.cameras.get(job.camera_id)
    if camera is None:
        if job.kind == JobKind.UPLOAD and job.bucket and job.key:
            return lifecycle.take_upload(deps, job.bucket, job.key, etag=job.etag, version_id=job.version_id)
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
            outcomes = lifecycle.take_upload(deps, job.bucket, job.key, etag=job.etag, version_id=job.version_id)
        else:
            # Due as of the later of the tick and now: a job that waited in the queue cuts what has settled since.
            outcomes = lifecycle.tick_camera(deps, camera, max(utc(job.now), utc(deps.clock())))
            segment_chain.revive_chain(deps, camera)  # the tick restarts the camera's segment chain if it is silent
    except Exception:
        deps.cameras.release(camera.camera_id, holder)
        raise
    deps.cameras.release(camera.camera_id, holder)
    return outcomes
