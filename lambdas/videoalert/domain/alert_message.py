"""The SNS alert: readable subject, JSON body, and attributes subscribers filter on."""
from __future__ import annotations

import json
from dataclasses import dataclass

from videoalert.domain.first_seen import first_seen
from videoalert.domain.ids import iso
from videoalert.domain.records import VideoRecord
from videoalert_contract.names import ALERT_ATTRIBUTE_CAMERA, ALERT_ATTRIBUTE_DECISION, ALERT_ATTRIBUTE_DEDUP

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    body: str
    attributes: dict[str, dict[str, str]]


class NotAlertable(ValueError):
    """The record has no decided scores or stored clip to alert with."""


def build_alert(record: VideoRecord) -> AlertMessage:
    """Build the alert for a decided video record."""
    if (record.max_score is None or record.frames_over_threshold is None or record.threshold is None
            or record.decision is None or record.s3_key is None):
        raise NotAlertable(f"video {record.video_id} is not a decided, stored clip")
    camera = record.camera_id
    start = record.window_start
    subject = f"Person detected on {camera} at {start:%Y-%m-%d %H:%M} UTC"[:SUBJECT_LIMIT]
    body = {
        "video_id": record.video_id,
        "camera_id": camera,
        "window": {"start": iso(start), "end": iso(record.window_end)}
        | ({"offset_s": record.clip_start_s} if record.clip_start_s else {}),
        "first_seen": iso(first_seen(record)),
        "score": round(record.max_score, 4),
        "frames_over_threshold": record.frames_over_threshold,
        "threshold": record.threshold,
        "model_version": record.model_version,
        "video": {"bucket": record.s3_bucket, "key": record.s3_key,
                  "uri": f"s3://{record.s3_bucket}/{record.s3_key}"},
        "feedback": (f"Not a person? Run: videoalert feedback {record.video_id} --false-positive"
                     f" (or --true-positive) so this camera learns."),
    }
    attributes = {
        ALERT_ATTRIBUTE_CAMERA: {"DataType": "String", "StringValue": camera},
        ALERT_ATTRIBUTE_DECISION: {"DataType": "String", "StringValue": str(record.decision.value)},
        ALERT_ATTRIBUTE_DEDUP: {"DataType": "String", "StringValue": record.video_id},
    }
    return AlertMessage(subject=subject, body=json.dumps(body, indent=2), attributes=attributes)
