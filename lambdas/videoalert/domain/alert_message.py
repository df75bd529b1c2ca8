"""The SNS alert: a readable subject and text body for people (camera, local time, score, links a phone opens),
the same facts as JSON for machine subscribers, and the attributes subscribers filter on.

Published with MessageStructure=json: e-mail gets the text, SQS / Lambda / HTTP(S) / e-mail-json the JSON.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from videoalert.domain.events import best_entry
from videoalert.domain.first_seen import first_seen
from videoalert.domain.ids import iso
from videoalert.domain.records import VideoRecord
from videoalert_contract.inference import Region
from videoalert_contract.names import ALERT_ATTRIBUTE_CAMERA, ALERT_ATTRIBUTE_DECISION, ALERT_ATTRIBUTE_DEDUP

SUBJECT_LIMIT = 100  # SNS rejects longer subjects
TEXT_PROTOCOLS = ("default", "email")
JSON_PROTOCOLS = ("sqs", "lambda", "http", "https", "email-json", "firehose")


@dataclass(frozen=True)
class AlertLinks:
    """HTTPS links the alert carries: presigned (best frame, clip) and signed one-tap feedback/review links."""

    expires_at: datetime  # the presigned links' end
    clip_url: str | None = None
    frame_url: str | None = None
    false_positive_url: str | None = None
    true_positive_url: str | None = None
    review_url: str | None = None
    feedback_expires_at: datetime | None = None


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    body: str  # the JSON document (machine subscribers)
    attributes: dict[str, dict[str, str]]
    text: str = ""  # the readable body (e-mail, and SNS's default)

    def structured(self) -> str:
        """The Message of a MessageStructure=json publish: one message per protocol."""
        per_protocol = dict.fromkeys(TEXT_PROTOCOLS, self.text or self.body) | dict.fromkeys(JSON_PROTOCOLS, self.body)
        return json.dumps(per_protocol)


class NotAlertable(ValueError):
    """The record has no decided scores or stored clip to alert with."""


def camera_zone(name: str | None) -> tuple[tzinfo, str]:
    """The camera's zone and its name; UTC (named so) for a zone this machine's time zone data lacks."""
    if not name or name == "UTC":
        return UTC, "UTC"
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return UTC, f"UTC (time zone {name} unknown here)"


def local_time(when: datetime, zone_name: str | None) -> tuple[datetime, str]:
    zone, label = camera_zone(zone_name)
    return when.astimezone(zone), label


def _frames_sampled(record: VideoRecord) -> int:
    return len({round(f.t, 3) for f in record.frame_scores or ()})


def build_alert(record: VideoRecord, links: AlertLinks | None = None) -> AlertMessage:
    """Build the alert for a decided video record (links: None when the stack gives none, as in unit tests)."""
    if (record.max_score is None or record.frames_over_threshold is None or record.threshold is None
            or record.decision is None or record.s3_key is None):
        raise NotAlertable(f"video {record.video_id} is not a decided, stored clip")
    camera = record.camera_id
    start = record.window_start
    zone_name = record.rule.timezone if record.rule else "UTC"
    local, zone_label = local_time(start, zone_name)
    subject = f"Person detected on {camera} at {local:%Y-%m-%d %H:%M} {local.tzname() or zone_label}"
    sampled = _frames_sampled(record)
    body: dict[str, Any] = {
        "video_id": record.video_id,
        "camera_id": camera,
        "window": {"start": iso(start), "end": iso(record.window_end)}
        | ({"offset_s": record.clip_start_s} if record.clip_start_s else {}),
        "first_seen": iso(first_seen(record)),
        "local_time": local.isoformat(timespec="seconds"),
        "timezone": zone_label,
        "score": round(record.max_score, 4),
        "frames_over_threshold": record.frames_over_threshold,
        "frames_sampled": sampled,
        "threshold": record.threshold,
        "region": record.region,
        "rule_version": record.rule_version or (record.rule.version if record.rule else None),
        "model_version": record.model_version,
        "video": {"bucket": record.s3_bucket, "key": record.s3_key,
                  "uri": f"s3://{record.s3_bucket}/{record.s3_key}"},
        "feedback": (f"Not a person? Run: videoalert feedback {record.video_id} --false-positive"
                     f" (or --true-positive) so this camera learns."),
    }
    if links is not None:
        body["links"] = {name: value for name, value in (
            ("frame", links.frame_url), ("clip", links.clip_url), ("not_a_person", links.false_positive_url),
            ("correct", links.true_positive_url), ("review", links.review_url)) if value}
        body["links"]["expires_at"] = iso(links.expires_at)
    entry = best_entry(record)
    if entry is not None:  # where the person is in the best frame (box: fractions of the frame, x0 y0 x1 y1)
        body["person"] = {"t": entry.t, "score": round(entry.score, 4), "region": entry.region}
        body["person"] |= {"box": list(entry.box)} if entry.box is not None else {}
    text = alert_text(record, local, zone_label, sampled, links)
    body["text"] = text  # the readable alert, for integrations that show a message (ntfy, Home Assistant)
    attributes = {
        ALERT_ATTRIBUTE_CAMERA: {"DataType": "String", "StringValue": camera},
        ALERT_ATTRIBUTE_DECISION: {"DataType": "String", "StringValue": str(record.decision.value)},
        ALERT_ATTRIBUTE_DEDUP: {"DataType": "String", "StringValue": record.video_id},
    }
    return AlertMessage(subject=subject[:SUBJECT_LIMIT], body=json.dumps(body, indent=2), attributes=attributes,
                        text=text)


def alert_text(record: VideoRecord, local: datetime, zone_label: str, sampled: int,
               links: AlertLinks | None) -> str:
    """The e-mail: what, where, when, how sure, then the links (each on its own line, so a phone makes it a tap)."""
    when_utc = record.window_start.astimezone(UTC)
    utc_note = "" if zone_label == "UTC" else f"; {when_utc:%H:%M} UTC"
    lines = [
        f"A person was detected on camera {record.camera_id}.",
        "",
        f"When:  {local:%A %d %B %Y, %H:%M} ({zone_label}{utc_note})",
        f"First seen: {first_seen(record).astimezone(local.tzinfo or UTC):%H:%M:%S}",
        f"Score: {record.max_score or 0:.2f} (alerts at {record.threshold or 0:.2f}); "
        f"{record.frames_over_threshold} of {sampled} sampled frames at or over it",
    ]
    if record.region and record.region != Region.FULL:
        lines.append(f"Seen in: {record.region} regions")
    if links is not None:
        until = links.expires_at.astimezone(local.tzinfo or UTC)
        lines += ["", f"Links below open in a browser until {until:%d %b %H:%M}:"]
        if links.frame_url:
            lines += ["", "Best frame (JPEG):", links.frame_url]
        if links.clip_url:
            lines += ["", "The clip (MP4):", links.clip_url]
        if links.false_positive_url or links.true_positive_url:
            lines += ["", "Was it a person? One tap tells the camera (no login needed):"]
            if links.false_positive_url:
                lines += ["Not a person:", links.false_positive_url]
            if links.true_positive_url:
                lines += ["Correct, a person:", links.true_positive_url]
        if links.review_url:
            lines += ["", f"Recent events on {record.camera_id}:", links.review_url]
    lines += ["", f"Video id: {record.video_id}", f"Rule v{record.rule_version or 1}, model {record.model_version}",
              "(without links: videoalert feedback " f"{record.video_id} --false-positive | --true-positive)"]
    return "\n".join(lines) + "\n"
