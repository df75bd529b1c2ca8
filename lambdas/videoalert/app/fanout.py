"""Fan-out (the dispatcher's work): the minute tick enqueues one job per camera, uploads are routed to their camera's
queue group; a camera worker then takes each job (camera_jobs.work).

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

import time
from dataclasses import dataclass
from datetime import datetime

from videoalert.app.dependencies import Dependencies
from videoalert.config.worker import WorkerSettings
from videoalert.domain.ids import camera_from_upload_key, utc
from videoalert.domain.jobs import CameraJob, JobKind, tick_ready_at


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


def fan_out(deps: Dependencies[WorkerSettings], scheduled_at: datetime) -> FanOut:
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


def route_upload(deps: Dependencies[WorkerSettings], bucket: str, raw_key: str, *, etag: str | None,
                 version_id: str | None) -> CameraJob:
    """Put an uploaded object on its camera's queue group (raises ids.NotAnUploadKey for a key outside
    uploads/<camera>/)."""
    if deps.jobs is None:
        raise NoJobQueue("routing an upload needs the camera job queue (CAMERA_JOBS_QUEUE_URL)")
    camera_id, _ = camera_from_upload_key(raw_key)
    job = CameraJob(JobKind.UPLOAD, camera_id, utc(deps.clock()), bucket, raw_key, etag, version_id)
    deps.jobs.send([job])
    return job
