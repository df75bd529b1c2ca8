"""Parse the dispatcher's incoming events into typed commands; anything else is a MalformedEvent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from videoalert.domain.ids import parse_iso


class MalformedEvent(ValueError):
    """The event is not one the dispatcher understands; it is logged and dropped, never retried."""


@dataclass(frozen=True)
class ScheduledRun:
    now: datetime


@dataclass(frozen=True)
class UploadedObject:
    bucket: str
    key: str  # as in the event: S3 notifications URL-encode it
    etag: str | None = None
    version_id: str | None = None  # the object version the event is about (versioned bucket)


@dataclass(frozen=True)
class Redrive:
    video_ids: tuple[str, ...] = ()  # empty: every FAILED record


Command = ScheduledRun | UploadedObject | Redrive


def parse_event(event: Any) -> list[Command]:
    if not isinstance(event, dict):
        raise MalformedEvent(f"event must be a JSON object, got {type(event).__name__}")
    if event.get("action") == "redrive":
        ids = event.get("video_ids") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise MalformedEvent("redrive video_ids must be a list of strings")
        return [Redrive(tuple(ids))]
    if "Records" in event:
        records = event["Records"]
        if not isinstance(records, list) or not records:
            raise MalformedEvent("Records must be a non-empty list")
        return [_s3_notification(r) for r in records]
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        detail = event.get("detail") or {}
        try:
            obj = detail["object"]
            return [UploadedObject(detail["bucket"]["name"], obj["key"], obj.get("etag"), obj.get("version-id"))]
        except (KeyError, TypeError) as exc:
            raise MalformedEvent(f"S3 Object Created event without bucket/object: {exc}") from exc
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        try:
            return [ScheduledRun(parse_iso(event["time"]))]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent(f"scheduled event without a valid time: {exc}") from exc
    raise MalformedEvent(f"unknown event shape with keys {sorted(event)[:10]}")


def _s3_notification(record: Any) -> UploadedObject:
    try:
        if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith("ObjectCreated"):
            raise MalformedEvent(
                f"not an S3 ObjectCreated record: {record.get('eventSource')} {record.get('eventName')}"
            )
        s3 = record["s3"]
        obj = s3["object"]
        return UploadedObject(s3["bucket"]["name"], obj["key"], obj.get("eTag"), obj.get("versionId"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedEvent(f"S3 record without bucket/object: {exc}") from exc
