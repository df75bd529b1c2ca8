"""A camera as the pipeline sees it: its rule, whether it is enabled, the cursor of the next window, and what its
registration says (its stream, when it was registered, whether it streams only on motion)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from videoalert.domain.rule import Rule


@dataclass(frozen=True)
class CameraConfig:
    camera_id: str
    rule: Rule = field(default_factory=Rule)
    enabled: bool = True
    cursor: datetime | None = None
    item: Mapping[str, Any] = field(default_factory=dict)  # the raw item, for settings later features add
    registered_at: datetime | None = None  # None: an item written before the registry (no stream recorded)
    stream_arn: str | None = None
    retention_hours: int | None = None
    # A camera that streams only when it sees motion is silent by design: the health check never calls it offline.
    motion_triggered: bool = False
    # The stream the worker scores when it is not the camera's own: its sub-stream (issue 34), a small copy of the same
    # view; the main stream is still the record's clip and the alert's picture. None: the main stream is scored.
    scoring_stream: str | None = None


@dataclass(frozen=True)
class StreamInfo:
    """A camera's Kinesis video stream as the control plane describes it."""

    name: str
    arn: str
    status: str  # CREATING, ACTIVE, UPDATING, DELETING
    retention_hours: int
    kms_key_id: str | None = None
    created: bool = False  # this call created it (False: it was there already and is adopted)


class CameraState(StrEnum):
    """What the health check makes of a camera."""

    ONLINE = "ONLINE"  # media within the offline window
    OFFLINE = "OFFLINE"  # a continuous camera with no media for the offline window: counted, alarmed
    QUIET = "QUIET"  # a motion-triggered camera with no media lately: silent by design, never offline
    NEW = "NEW"  # registered less than the offline window ago and no media yet
    DISABLED = "DISABLED"  # its rule is disabled: nothing is expected from it


def camera_state(camera: CameraConfig, last_media: datetime | None, now: datetime, offline_after: timedelta
                 ) -> CameraState:
    """Classify a camera from the time of its newest media (a fragment or a recorded clip's end), as of now."""
    if not camera.enabled or not camera.rule.enabled:
        return CameraState.DISABLED
    if last_media is not None and now - last_media <= offline_after:
        return CameraState.ONLINE
    if camera.motion_triggered:
        return CameraState.QUIET
    if camera.registered_at is not None and now - camera.registered_at <= offline_after:
        return CameraState.NEW
    return CameraState.OFFLINE


def producer_policy(stream_arn: str, key_arn: str | None, actions: tuple[str, ...],
                    sub_stream_arn: str | None = None) -> dict[str, Any]:
    """The IAM policy a camera (or `videoalert push`) needs to send into its stream (and its sub-stream): PutMedia and
    its endpoint on the stream, and a data key from the stream's KMS key."""
    resource: str | list[str] = stream_arn if sub_stream_arn is None else [stream_arn, sub_stream_arn]
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]
    if key_arn:
        statements.append({"Effect": "Allow", "Action": ["kms:GenerateDataKey"], "Resource": key_arn})
    return {"Version": "2012-10-17", "Statement": statements}
