"""The videos-table record, typed: what a clip's item holds at each status, and what a decision writes."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any

from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.ids import iso, parse_iso
from videoalert.domain.memory import MemoryMatch
from videoalert.domain.rule import Rule
from videoalert.domain.types import Decision, Label, Source, Status
from videoalert_contract.inference import FrameScore


@dataclass(frozen=True)
class VideoRecord:
    """One clip (docs/interfaces.md, "The videos record"). Optional fields are absent from the item when None."""

    video_id: str
    camera_id: str
    source: Source
    window_start: datetime
    window_end: datetime
    status: Status
    upload_key: str | None = None  # uploads: the object under uploads/<camera>/
    upload_version_id: str | None = None  # uploads: the object version the event named (the one copied and scored)
    # uploads are analysed window by window: this record's window of the clip, [clip_start_s, clip_end_s) seconds
    # (clip_end_s None: to the end); window 0 carries the upload's own id and windows_total, the others upload_of
    window_index: int | None = None
    clip_start_s: float | None = None
    clip_end_s: float | None = None
    upload_of: str | None = None
    windows_total: int | None = None
    # stream windows: when the clip's own timeline starts (its first fragment), the origin of its frame times; later
    # than window_start when the stream started mid-minute. None: window_start - clip_start_s is the origin.
    clip_starts_at: datetime | None = None
    size_bytes: int | None = None
    parts: int | None = None  # stream windows: GetClip parts
    s3_bucket: str | None = None
    s3_key: str | None = None
    more_keys: tuple[str, ...] | None = None  # the clip's further parts, in time order
    reason: str | None = None  # REJECTED / FAILED: a code
    reason_detail: str | None = None
    attempts: int | None = None  # claims so far; the latest claim's number is its lease token
    lease_until: str | None = None  # PROCESSING: the claim holds until then (ISO); later, another run may take over
    due_at: str | None = None  # while open (RECEIVED, PROCESSING, an alert not yet sent): when recovery looks at it
    # DONE
    decision: Decision | None = None
    rule_decision: Decision | None = None  # the rule's verdict before the memory and the cooldown
    decision_reason: str | None = None
    threshold: float | None = None
    model_threshold: float | None = None
    region: str | None = None
    max_score: float | None = None
    deciding_score: float | None = None
    frames_over_threshold: int | None = None
    rule: Rule | None = None
    rule_version: int | None = None
    model_version: str | None = None
    frame_scores: tuple[FrameScore, ...] | None = None
    top_embeddings: tuple[FrameEmbedding, ...] | None = None
    video_info: Mapping[str, Any] | None = None
    timings_ms: Mapping[str, Any] | None = None
    suppressed_by: MemoryMatch | None = None  # SUPPRESSED: the remembered false positive it matched
    cooldown_of: str | None = None  # COOLDOWN: the video whose alert this event sent
    event_start: datetime | None = None  # ALERT / COOLDOWN: when the event began
    # segment scoring (app.segments): the fragments already scored (producer timestamps, ms), and when an early ALERT
    # was decided (before the minute settled)
    segment_fragments: tuple[int, ...] | None = None
    early_alert_at: str | None = None
    # the alert outbox
    alert_claimed_at: str | None = None
    alert_message_id: str | None = None
    alert_sent_at: str | None = None
    # feedback
    label: Label | None = None
    label_tags: tuple[str, ...] | None = None
    labelled_by: str | None = None
    labelled_at: str | None = None
    label_history: tuple[Mapping[str, Any], ...] | None = None
    # bookkeeping (written by the store)
    created_at: str | None = None
    updated_at: str | None = None
    expires_at: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # attributes this code does not know; kept as they are

    @property
    def keys(self) -> list[str]:
        """Every part's S3 key in time order."""
        return [] if self.s3_key is None else [self.s3_key, *(self.more_keys or ())]

    @property
    def labellable(self) -> bool:
        """Decided: DONE, or an OPEN minute that alerted early (its alert's one-tap links work at once)."""
        return self.decision is not None and self.status in (Status.DONE, Status.OPEN)

    @property
    def is_stream(self) -> bool:
        return self.source == Source.STREAM

    @property
    def series(self) -> str:
        """The clips one event can run across: a camera's stream minutes ("stream"), or the windows of one upload
        (its first window's id). The cooldown joins positive clips of one series only."""
        return "stream" if self.is_stream else (self.upload_of or self.video_id)

    def to_item(self) -> dict[str, Any]:
        """The item as stored (plain Python values; store.dynamo_values converts numbers)."""
        item: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra" or value is None:
                continue
            item[f.name] = _plain(value)
        return item | {k: _plain(v) for k, v in self.extra.items() if v is not None}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> VideoRecord:
        known = {f.name for f in fields(cls)} - {"extra"}
        rule, suppressed = item.get("rule"), item.get("suppressed_by")
        return cls(
            video_id=str(item["video_id"]), camera_id=str(item["camera_id"]), source=Source(item["source"]),
            window_start=parse_iso(item["window_start"]), window_end=parse_iso(item["window_end"]),
            status=Status(item["status"]), upload_key=_opt(str, item.get("upload_key")),
            upload_version_id=_opt(str, item.get("upload_version_id")),
            window_index=_opt(int, item.get("window_index")), clip_start_s=_opt(float, item.get("clip_start_s")),
            clip_end_s=_opt(float, item.get("clip_end_s")), upload_of=_opt(str, item.get("upload_of")),
            windows_total=_opt(int, item.get("windows_total")),
            clip_starts_at=_opt(parse_iso, item.get("clip_starts_at")),
            size_bytes=_opt(int, item.get("size_bytes")), parts=_opt(int, item.get("parts")),
            s3_bucket=_opt(str, item.get("s3_bucket")), s3_key=_opt(str, item.get("s3_key")),
            more_keys=_opt(lambda v: tuple(str(k) for k in v), item.get("more_keys")),
            reason=_opt(str, item.get("reason")), reason_detail=_opt(str, item.get("reason_detail")),
            attempts=_opt(int, item.get("attempts")), lease_until=_opt(str, item.get("lease_until")),
            due_at=_opt(str, item.get("due_at")), decision=_opt(Decision, item.get("decision")),
            rule_decision=_opt(Decision, item.get("rule_decision")),
            decision_reason=_opt(str, item.get("decision_reason")), threshold=_opt(float, item.get("threshold")),
            model_threshold=_opt(float, item.get("model_threshold")), region=_opt(str, item.get("region")),
            max_score=_opt(float, item.get("max_score")), deciding_score=_opt(float, item.get("deciding_score")),
            frames_over_threshold=_opt(int, item.get("frames_over_threshold")),
            rule=None if rule is None else Rule.from_item(rule), rule_version=_opt(int, item.get("rule_version")),
            model_version=_opt(str, item.get("model_version")),
            frame_scores=_opt(lambda v: tuple(FrameScore.from_payload(f) for f in v), item.get("frame_scores")),
            top_embeddings=_opt(lambda v: tuple(FrameEmbedding.from_item(e) for e in v), item.get("top_embeddings")),
            video_info=_opt(dict, item.get("video_info")), timings_ms=_opt(dict, item.get("timings_ms")),
            suppressed_by=None if suppressed is None else MemoryMatch.from_item(suppressed),
            cooldown_of=_opt(str, item.get("cooldown_of")), event_start=_opt(parse_iso, item.get("event_start")),
            segment_fragments=_opt(lambda v: tuple(int(t) for t in v), item.get("segment_fragments")),
            early_alert_at=_opt(str, item.get("early_alert_at")),
            alert_claimed_at=_opt(str, item.get("alert_claimed_at")),
            alert_message_id=_opt(str, item.get("alert_message_id")),
            alert_sent_at=_opt(str, item.get("alert_sent_at")), label=_opt(Label, item.get("label")),
            label_tags=_opt(lambda v: tuple(str(t) for t in v), item.get("label_tags")),
            labelled_by=_opt(str, item.get("labelled_by")), labelled_at=_opt(str, item.get("labelled_at")),
            label_history=_opt(lambda v: tuple(dict(h) for h in v), item.get("label_history")),
            created_at=_opt(str, item.get("created_at")), updated_at=_opt(str, item.get("updated_at")),
            expires_at=_opt(int, item.get("expires_at")),
            extra={k: v for k, v in item.items() if k not in known},
        )


@dataclass(frozen=True)
class Decided:
    """What recording a decision writes onto a PROCESSING record (with status DONE)."""

    decision: Decision
    rule_decision: Decision
    decision_reason: str
    threshold: float
    model_threshold: float
    region: str
    max_score: float
    deciding_score: float
    frames_over_threshold: int
    rule: Rule
    model_version: str | None
    frame_scores: tuple[FrameScore, ...]
    top_embeddings: tuple[FrameEmbedding, ...]
    video_info: Mapping[str, Any] | None
    timings_ms: Mapping[str, Any] | None
    suppressed_by: MemoryMatch | None = None
    cooldown_of: str | None = None
    event_start: datetime | None = None
    windows_total: int | None = None  # the first window of an upload: how many windows the upload has

    def fields(self) -> dict[str, Any]:
        """Attributes to set; None removes one (a redriven clip loses its failure reason)."""
        written: dict[str, Any] = {
            "decision": self.decision, "rule_decision": self.rule_decision, "decision_reason": self.decision_reason,
            "threshold": self.threshold, "model_threshold": self.model_threshold, "region": self.region,
            "max_score": self.max_score, "deciding_score": self.deciding_score,
            "frames_over_threshold": self.frames_over_threshold, "rule": self.rule, "rule_version": self.rule.version,
            "model_version": self.model_version, "frame_scores": self.frame_scores,
            "top_embeddings": self.top_embeddings or None, "video_info": self.video_info,
            "timings_ms": self.timings_ms, "reason": None, "reason_detail": None,
        }
        # Set only when the gate said so; never removed (a decision is written once).
        for name in ("suppressed_by", "cooldown_of", "event_start", "windows_total"):
            if getattr(self, name) is not None:
                written[name] = getattr(self, name)
        return {name: None if value is None else _plain(value) for name, value in written.items()}


def _opt(convert: Any, value: Any) -> Any:
    return None if value is None else convert(value)


def _plain(value: Any) -> Any:
    """Typed values as an item holds them: enums as their text, times as ISO text, records as dicts."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Rule):
        return _plain(value.to_item())
    if isinstance(value, FrameScore):
        return _plain(value.to_payload())
    if isinstance(value, (FrameEmbedding, MemoryMatch)):
        return value.to_item()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class StoredObject:
    """What the dispatcher needs to know of an uploaded object before it takes it."""

    etag: str
    last_modified: datetime
    size_bytes: int
    version_id: str | None = None  # None: an unversioned bucket
