"""Parse the dispatcher's incoming events into typed commands; anything else is a MalformedEvent."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from videoalert.domain.ids import iso, parse_iso, utc


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
            return [_uploaded(detail["bucket"]["name"], obj["key"], obj.get("etag"), obj.get("version-id"))]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedEvent(f"S3 Object Created event without bucket/object: {exc}") from exc
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        when = event.get("time")
        if not isinstance(when, str):
            raise MalformedEvent(f"scheduled event without a valid time: {type(when).__name__}, not ISO 8601 text")
        try:
            return [ScheduledRun(parse_iso(when))]
        except ValueError as exc:
            raise MalformedEvent(f"scheduled event without a valid time: {exc}") from exc
    raise MalformedEvent(f"unknown event shape with keys {sorted(event)[:10]}")


def refuse_future_ticks(commands: Sequence[Command], *, now: datetime, ahead: timedelta) -> None:
    """MalformedEvent for a scheduled run dated more than `ahead` after `now` (the function's clock): it would cut
    minutes that have not happened yet."""
    for command in commands:
        if isinstance(command, ScheduledRun) and utc(command.now) - utc(now) > ahead:
            raise MalformedEvent(f"scheduled event dated {iso(command.now)}, in the future of the clock ({iso(now)}) "
                                 f"by more than {ahead.total_seconds():.0f} s")


def _s3_notification(record: Any) -> UploadedObject:
    try:
        if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith("ObjectCreated"):
            raise MalformedEvent(
                f"not an S3 ObjectCreated record: {record.get('eventSource')} {record.get('eventName')}"
            )
        s3 = record["s3"]
        obj = s3["object"]
        return _uploaded(s3["bucket"]["name"], obj["key"], obj.get("eTag"), obj.get("versionId"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedEvent(f"S3 record without bucket/object: {exc}") from exc


def _uploaded(bucket: Any, key: Any, etag: Any, version_id: Any) -> UploadedObject:
    """An upload command from an event's fields, which must be what S3 sends: text (a number or a list where a key
    should be cannot name an object, and must not reach the code that reads one)."""
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise MalformedEvent(f"bucket and key must be non-empty strings, got {type(bucket).__name__} and "
                             f"{type(key).__name__}")
    for name, value in (("etag", etag), ("version id", version_id)):
        if value is not None and not isinstance(value, str):
            raise MalformedEvent(f"the {name} must be a string, got {type(value).__name__}")
    return UploadedObject(bucket, key, etag or None, version_id or None)
