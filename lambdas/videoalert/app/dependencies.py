"""What the clip lifecycle works with: the worker's settings and the ports wiring.py plugs in once per cold start."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from videoalert.app.links import LinkSigner
from videoalert.app.ports import (
    Alerts,
    Cameras,
    Clips,
    ClipSource,
    Inference,
    Jobs,
    Memory,
    SegmentJobs,
    Videos,
)
from videoalert.config.worker import WorkerSettings

# The dispatcher's dependencies carry its settings (a WorkerSettings with the router's own on top), the camera
# worker's carry WorkerSettings: the lifecycle reads only what every worker has.
SettingsT = TypeVar("SettingsT", bound=WorkerSettings, covariant=True)


@dataclass
class Dependencies(Generic[SettingsT]):
    settings: SettingsT
    records: Videos
    cameras: Cameras
    clips: Clips
    inference: Inference
    alerts: Alerts
    clip_source: ClipSource | None = None
    max_catchup: timedelta = timedelta(hours=24)
    memory: Memory | None = None  # the false-positive memory; None turns suppression off
    jobs: Jobs | None = None  # the per-camera job queue (the router's); None: a scheduled run walks the cameras in line
    segment_jobs: SegmentJobs | None = None  # where each camera's next segment job waits; None: no segment chain
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    links: LinkSigner | None = None  # signs the alert's one-tap feedback links; None: the alert has none

    @property
    def retain_for(self) -> timedelta:
        """How long a new record is kept (DynamoDB TTL from its creation)."""
        return timedelta(days=self.settings.retention_days)
