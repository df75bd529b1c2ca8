"""The camera registry's use cases: add a camera (its stream, then its item), list, show its health, remove it, seed
the deploy-time cameras once, and the scheduled fleet health check. The CLI, the cameras API and the local run call
these; nothing here is per camera in the stack."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from videoalert.app.ports import Cameras, Streams, Videos
from videoalert.domain.camera import CameraConfig, CameraState, StreamInfo, camera_state, producer_policy
from videoalert.domain.errors import UnknownCamera
from videoalert.domain.ids import iso, utc
from videoalert.domain.records import VideoRecord
from videoalert.domain.rule import Rule
from videoalert.domain.types import Decision, Status
from videoalert_contract.names import (
    APP_NAME,
    CAMERA_ID_RULE,
    MAX_STREAM_RETENTION_HOURS,
    MIN_STREAM_RETENTION_HOURS,
    PRODUCER_ACTIONS,
    is_valid_camera_id,
    stream_name,
    sub_stream_name,
)

# A continuous camera with no media for this long is offline (the health check runs every 5 minutes; the alarm wants
# three offline checks in a row).
OFFLINE_AFTER = timedelta(minutes=15)
# How far back `camera show` looks for the last alert and the failures: a day of one camera is at most 1,440 records.
HISTORY = timedelta(days=1)


class CameraAlreadyRegistered(Exception):
    """The camera is registered already; nothing was changed."""


class BadCameraRequest(ValueError):
    """An id, time zone or retention the registry cannot take; the message says what it must be."""


@dataclass(frozen=True)
class CameraRequest:
    camera_id: str
    timezone: str = "UTC"
    retention_hours: int = MIN_STREAM_RETENTION_HOURS
    motion_triggered: bool = False
    sub_stream: bool = False  # a second, small stream of the same view, scored instead of the main one (issue 34)

    def rule(self) -> Rule:
        try:
            return Rule(timezone=self.timezone)
        except ValueError as exc:
            raise BadCameraRequest(str(exc)) from exc

    def check(self) -> None:
        if not is_valid_camera_id(self.camera_id):
            raise BadCameraRequest(f"{self.camera_id!r} is not a valid camera id ({CAMERA_ID_RULE})")
        if not MIN_STREAM_RETENTION_HOURS <= self.retention_hours <= MAX_STREAM_RETENTION_HOURS:
            raise BadCameraRequest(f"retention must be {MIN_STREAM_RETENTION_HOURS}..{MAX_STREAM_RETENTION_HOURS} "
                                   f"hours (a paused pipeline catches up on a day), got {self.retention_hours}")
        self.rule()


@dataclass
class RegistryDependencies:
    cameras: Cameras
    streams: Streams
    videos: Videos
    key_arn: str | None  # the stack's stream key (None on the local stand-in, which has no KMS)
    stage: str
    clock: Callable[[], datetime]
    retention_hours: int = MIN_STREAM_RETENTION_HOURS  # a new camera's stream retention when none is asked for


@dataclass(frozen=True)
class AddedCamera:
    camera: CameraConfig
    stream: StreamInfo
    producer_policy: dict[str, Any]
    sub_stream: StreamInfo | None = None  # the camera's scoring stream, when it has one

    def describe(self) -> dict[str, Any]:
        sub = self.sub_stream
        return {"camera_id": self.camera.camera_id, "stream_name": self.stream.name, "stream_arn": self.stream.arn,
                "stream_created": self.stream.created, "retention_hours": self.stream.retention_hours,
                "kms_key": self.stream.kms_key_id, "timezone": self.camera.rule.timezone,
                "motion_triggered": self.camera.motion_triggered,
                "sub_stream": None if sub is None else {"name": sub.name, "arn": sub.arn, "created": sub.created},
                "producer_policy": self.producer_policy}


def stream_tags(camera_id: str, stage: str) -> dict[str, str]:
    return {"project": APP_NAME, "stage": stage, "camera_id": camera_id}


def add_camera(deps: RegistryDependencies, request: CameraRequest) -> AddedCamera:
    """Create (or adopt) the camera's stream, then register the camera: the next tick lists it, an upload for it is
    taken. CameraAlreadyRegistered if it is registered (nothing changes); BadCameraRequest for a bad request."""
    request.check()
    if deps.cameras.get(request.camera_id) is not None:
        raise CameraAlreadyRegistered(f"camera {request.camera_id} is registered already")
    # The stream first: a registered camera always has one (a crash in between leaves a stream, which the next add
    # adopts, never a camera whose producer has nowhere to send).
    stream = deps.streams.ensure(stream_name(request.camera_id), key_arn=deps.key_arn,
                                 retention_hours=request.retention_hours,
                                 tags=stream_tags(request.camera_id, deps.stage))
    sub = _ensure_sub_stream(deps, request.camera_id, request.retention_hours) if request.sub_stream else None
    registration = {"registered_at": iso(utc(deps.clock())), "stream_arn": stream.arn,
                    "retention_hours": stream.retention_hours, "motion_triggered": request.motion_triggered,
                    **({"scoring_stream": sub.name} if sub else {})}
    if not deps.cameras.add(request.camera_id, request.rule(), registration=registration):
        raise CameraAlreadyRegistered(f"camera {request.camera_id} was registered meanwhile")
    camera = deps.cameras.get(request.camera_id)
    if camera is None:
        raise UnknownCamera(f"camera {request.camera_id} was removed meanwhile")
    return AddedCamera(camera, stream, producer_policy(stream.arn, deps.key_arn, PRODUCER_ACTIONS,
                                                       sub.arn if sub else None), sub)


def _ensure_sub_stream(deps: RegistryDependencies, camera_id: str, retention_hours: int) -> StreamInfo:
    return deps.streams.ensure(sub_stream_name(camera_id), key_arn=deps.key_arn, retention_hours=retention_hours,
                               tags=stream_tags(camera_id, deps.stage) | {"role": "scoring sub-stream"})


def set_sub_stream(deps: RegistryDependencies, camera_id: str, *, enabled: bool) -> AddedCamera:
    """Give a registered camera a sub-stream to be scored from (its stream created or adopted, then recorded as the
    camera's scoring stream: the next clip is scored from it), or score its main stream again (enabled False: the
    sub-stream and its video stay). UnknownCamera if it is not registered."""
    camera = deps.cameras.get(camera_id)
    if camera is None:
        raise UnknownCamera(f"camera {camera_id} is not registered")
    retention = camera.retention_hours or deps.retention_hours
    sub = _ensure_sub_stream(deps, camera_id, retention) if enabled else None
    deps.cameras.set_scoring_stream(camera_id, sub.name if sub else None)
    main = deps.streams.describe(stream_name(camera_id))
    if main is None:
        raise UnknownCamera(f"camera {camera_id} has no stream {stream_name(camera_id)}")
    updated = deps.cameras.get(camera_id) or camera
    return AddedCamera(updated, main, producer_policy(main.arn, deps.key_arn, PRODUCER_ACTIONS,
                                                     sub.arn if sub else None), sub)


def list_cameras(deps: RegistryDependencies) -> list[CameraConfig]:
    return deps.cameras.all_cameras()


@dataclass(frozen=True)
class CameraHealth:
    camera: CameraConfig
    state: CameraState
    stream: StreamInfo | None
    last_fragment: datetime | None  # server time of the newest fragment within OFFLINE_AFTER
    last_clip: VideoRecord | None
    last_alert: VideoRecord | None  # within HISTORY
    failed: list[str] = field(default_factory=list)  # FAILED records within HISTORY (redrive them)
    overdue: list[str] = field(default_factory=list)  # open records past their due time (recovery is behind)

    def describe(self) -> dict[str, Any]:
        def clip(record: VideoRecord | None) -> dict[str, Any] | None:
            if record is None:
                return None
            return {"video_id": record.video_id, "window_start": iso(record.window_start),
                    "status": str(record.status), "decision": record.decision and str(record.decision)}

        camera = self.camera
        return {
            "camera_id": camera.camera_id, "state": str(self.state), "enabled": camera.enabled and camera.rule.enabled,
            "motion_triggered": camera.motion_triggered,
            "registered_at": camera.registered_at and iso(camera.registered_at),
            "timezone": camera.rule.timezone, "rule_version": camera.rule.version,
            "cursor": camera.cursor and iso(camera.cursor),
            "stream": None if self.stream is None else {
                "name": self.stream.name, "arn": self.stream.arn, "status": self.stream.status,
                "retention_hours": self.stream.retention_hours, "kms_key": self.stream.kms_key_id},
            "scoring_stream": camera.scoring_stream,
            "last_fragment": self.last_fragment and iso(self.last_fragment),
            "last_clip": clip(self.last_clip), "last_alert": clip(self.last_alert),
            "open_failures": {"failed": self.failed, "overdue": self.overdue},
        }


def show_camera(deps: RegistryDependencies, camera_id: str) -> CameraHealth:
    """The camera's registration and health: its stream's status and newest fragment, its newest clip, its last alert
    and open failures of the last day. UnknownCamera if it is not registered."""
    camera = deps.cameras.get(camera_id)
    if camera is None:
        raise UnknownCamera(f"camera {camera_id} is not registered")
    now = utc(deps.clock())
    name = stream_name(camera_id)
    stream = deps.streams.describe(name)
    last_fragment = deps.streams.last_fragment(name, now=now, lookback=OFFLINE_AFTER) if stream else None
    last_clip = deps.videos.latest(camera_id)
    last_alert: VideoRecord | None = None
    failed: list[str] = []
    for record in deps.videos.by_camera(camera_id, since=now - HISTORY):
        if last_alert is None and record.decision == Decision.ALERT:
            last_alert = record
        if record.status == Status.FAILED:
            failed.append(record.video_id)
    overdue = deps.videos.due(camera_id, limit=100)
    state = camera_state(camera, _newest(last_fragment, last_clip), now, OFFLINE_AFTER)
    return CameraHealth(camera, state, stream, last_fragment, last_clip, last_alert, failed, overdue)


def _newest(last_fragment: datetime | None, last_clip: VideoRecord | None) -> datetime | None:
    times = [t for t in (last_fragment, last_clip.window_end if last_clip else None) if t is not None]
    return max(times) if times else None


@dataclass(frozen=True)
class RemovedCamera:
    camera: CameraConfig
    stream_name: str
    stream_deleted: bool

    def describe(self) -> dict[str, Any]:
        return {"camera_id": self.camera.camera_id, "stream_name": self.stream_name,
                "stream_deleted": self.stream_deleted}


def remove_camera(deps: RegistryDependencies, camera_id: str, *, delete_stream: bool = False) -> RemovedCamera:
    """Unregister the camera (no more ticks; its uploads are rejected UNKNOWN_CAMERA). Its records, clips and memory
    stay; its stream and the media in it stay unless delete_stream. UnknownCamera if it was not registered."""
    removed = deps.cameras.remove(camera_id)
    if removed is None:
        raise UnknownCamera(f"camera {camera_id} is not registered")
    name = stream_name(camera_id)
    deleted = deps.streams.delete(name) if delete_stream else False
    if delete_stream and removed.scoring_stream:
        deps.streams.delete(removed.scoring_stream)
    return RemovedCamera(removed, name, deleted)


@dataclass(frozen=True)
class Seeded:
    added: list[str]
    registered_already: list[str]

    def describe(self) -> dict[str, Any]:
        return {"added": self.added, "registered_already": self.registered_already}


def seed_cameras(deps: RegistryDependencies, camera_ids: Iterable[str], *,
                 retention_hours: int = MIN_STREAM_RETENTION_HOURS) -> Seeded:
    """Register the deploy-time cameras that are not registered (streams adopted if they exist); never removes or
    changes one. The stack calls it once with its `cameras` context (and with only the ids new to that list on a
    later deploy), so a camera removed with `videoalert camera remove` stays removed."""
    added, already = [], []
    for camera_id in camera_ids:
        try:
            add_camera(deps, CameraRequest(camera_id, retention_hours=retention_hours))
        except CameraAlreadyRegistered:
            already.append(camera_id)
            continue
        added.append(camera_id)
    return Seeded(added, already)


@dataclass(frozen=True)
class FleetHealth:
    registered: int
    states: dict[str, int]
    offline: list[str]  # ids of the offline cameras (the log names the first ones; the metric counts them all)
    streams_recorded: int  # items from before the registry whose existing stream was recorded now
    without_stream: list[str]
    elapsed_s: float = 0.0

    def describe(self, *, listed: int = 50) -> dict[str, Any]:
        return {"registered": self.registered, "states": self.states, "offline": len(self.offline),
                "offline_cameras": self.offline[:listed], "streams_recorded": self.streams_recorded,
                "without_stream": self.without_stream[:listed], "elapsed_s": round(self.elapsed_s, 3)}


def fleet_health(deps: RegistryDependencies) -> FleetHealth:
    """Every registered camera's state from its newest recorded clip (one single-item query per camera that could be
    offline: enabled, continuous, older than the offline window). A continuous camera sends a clip a minute; a
    motion-triggered one is QUIET, never OFFLINE. An item from before the registry gets its stream recorded."""
    started = time.perf_counter()
    now = utc(deps.clock())
    states: dict[str, int] = {s.value: 0 for s in CameraState}
    offline: list[str] = []
    without_stream: list[str] = []
    recorded = 0
    cameras = deps.cameras.all_cameras()
    for camera in cameras:
        if camera.stream_arn is None:
            stream = deps.streams.describe(stream_name(camera.camera_id))
            if stream is None:
                without_stream.append(camera.camera_id)
            else:
                deps.cameras.set_stream(camera.camera_id, stream.arn)
                recorded += 1
        # Only a camera that could be OFFLINE costs a query: the others' state does not depend on their media.
        could_be_offline = camera_state(camera, None, now, OFFLINE_AFTER) == CameraState.OFFLINE
        latest = deps.videos.latest(camera.camera_id) if could_be_offline else None
        state = camera_state(camera, latest.window_end if latest else None, now, OFFLINE_AFTER)
        states[state.value] += 1
        if state == CameraState.OFFLINE:
            offline.append(camera.camera_id)
    return FleetHealth(len(cameras), states, offline, recorded, without_stream,
                       elapsed_s=time.perf_counter() - started)
