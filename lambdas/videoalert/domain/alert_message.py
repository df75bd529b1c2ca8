"""The SNS alert: readable subject, JSON body, and attributes subscribers filter on."""
from __future__ import annotations

import json
from dataclasses import dataclass

from videoalert.domain.ids import iso, parse_iso
from videoalert_contract.names import ALERT_ATTRIBUTE_CAMERA, ALERT_ATTRIBUTE_DECISION

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    body: str
    attributes: dict


def build_alert(record: dict) -> AlertMessage:
    """Build the alert for a decided video record (the stored item, plain Python values)."""
    camera = record["camera_id"]
    start = parse_iso(record["window_start"])
    subject = f"Person detected on {camera} at {start:%Y-%m-%d %H:%M} UTC"[:SUBJECT_LIMIT]
    body = {
        "video_id": record["video_id"],
        "camera_id": camera,
        "window": {"start": iso(start), "end": record["window_end"]},
        "score": round(float(record["max_score"]), 4),
        "frames_over_threshold": int(record["frames_over_threshold"]),
        "threshold": float(record["threshold"]),
        "model_version": record["model_version"],
        "video": {"bucket": record["s3_bucket"], "key": record["s3_key"],
                  "uri": f"s3://{record['s3_bucket']}/{record['s3_key']}"},
        "feedback": (f"Not a person? Run: videoalert feedback {record['video_id']} --false-positive"
                     f" (or --true-positive) so this camera learns."),
    }
    attributes = {
        ALERT_ATTRIBUTE_CAMERA: {"DataType": "String", "StringValue": camera},
        ALERT_ATTRIBUTE_DECISION: {"DataType": "String", "StringValue": record["decision"]},
    }
    return AlertMessage(subject=subject, body=json.dumps(body, indent=2), attributes=attributes)
