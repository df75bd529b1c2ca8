"""The dispatcher's settings (the minute tick and upload router): the camera worker's, for the redrives it runs
(and the in-line run without a job queue), plus the router's own; built once per cold start."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from videoalert.config.env import environment, optional
from videoalert.config.worker import WorkerSettings
from videoalert_contract.names import ENV_CAMERA_JOBS_QUEUE_URL


@dataclass(frozen=True)
class DispatcherSettings(WorkerSettings):
    # The per-camera FIFO queue the tick and uploads are sent to; None: walk the cameras in line (the local run and
    # the tests of the per-camera logic; not the deployed stack).
    camera_jobs_queue_url: str | None = None
    # A scheduled event dated further ahead of the function's clock is malformed (dropped, counted): clocks drift by
    # seconds, and a tick from the future would cut minutes that have not happened. A late one is taken (Lambda
    # retries an async event for hours; the cursor only moves forward, so it cuts nothing twice).
    max_tick_ahead_seconds: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DispatcherSettings:
        env = environment(env)
        worker = WorkerSettings.from_env(env)
        return DispatcherSettings(**{f.name: getattr(worker, f.name) for f in fields(WorkerSettings)},
                                  camera_jobs_queue_url=optional(env, ENV_CAMERA_JOBS_QUEUE_URL))
