"""What may stop a clip the rule would alert on: the false-positive memory, then the event cooldown."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from videoalert.domain.rule import ALERT, COOLDOWN, NO_ALERT, POSITIVE_DECISIONS, SUPPRESSED, Decision, Rule
from videoalert.domain.embeddings import FrameEmbedding
from videoalert.store.memory import MemoryEntry, MemoryMatch, suppression
from videoalert.domain.ids import iso, parse_iso


@dataclass(frozen=True)
class EventLink:
    """This clip continues an event that already alerted."""

    alert_video_id: str  # the video whose alert this event sent
    event_start: str  # window_start of that alert
    previous_video_id: str  # the positive clip just before this one


@dataclass(frozen=True)
class Gated:
    decision: str
    fields: dict  # extra record fields: suppressed_by / cooldown_of / event_start
    reason: str = ""


def continuing_event(previous: Iterable[Mapping], window_start: datetime, rule: Rule,
                     video_id: str) -> EventLink | None:
    """The event this clip continues, if any.

    An event is a run of positive minutes (ALERT or COOLDOWN) of the camera's stream with gaps shorter than
    cooldown_s; it alerts once. After max_event_s the event alerts again, so a real person is never hidden
    for long behind a long-running detection.
    """
    if rule.cooldown_s <= 0:
        return None
    earliest = window_start - timedelta(seconds=rule.cooldown_s)
    candidates = []
    for record in previous:
        if record.get("video_id") == video_id or record.get("source") != "stream":
            continue
        if record.get("status") != "DONE" or record.get("decision") not in POSITIVE_DECISIONS:
            continue
        start = parse_iso(record["window_start"])
        if earliest <= start < window_start:
            candidates.append((start, record))
    if not candidates:
        return None
    _, latest = max(candidates, key=lambda c: c[0])
    alert_video_id = latest.get("cooldown_of") or latest["video_id"]
    event_start = latest.get("event_start") or latest["window_start"]
    if rule.max_event_s and window_start - parse_iso(event_start) >= timedelta(seconds=rule.max_event_s):
        return None
    return EventLink(alert_video_id, event_start, latest["video_id"])


def gate(verdict: Decision, rule: Rule, *, window_start: datetime, is_stream: bool,
         embeddings: Sequence[FrameEmbedding], memory: Sequence[MemoryEntry] | None,
         previous: Iterable[Mapping] = (), video_id: str = "") -> Gated:
    """The final decision for a clip the rule has judged.

    Memory comes first: a remembered false positive is not a person, so it neither alerts nor extends an
    event. Cooldown applies to stream minutes only: uploads are separate clips, not a continuing scene.
    """
    if verdict.decision != ALERT:
        return Gated(verdict.decision, {})
    match: MemoryMatch | None = suppression(embeddings, memory or [], threshold=verdict.threshold,
                                            max_distance=rule.fp_distance) if memory else None
    if match is not None:
        return Gated(SUPPRESSED, {"suppressed_by": match.to_item()},
                     f"matches false positive {match.video_id} (cosine distance {match.distance:.3f}"
                     f" <= {rule.fp_distance})")
    if is_stream:
        link = continuing_event(previous, window_start, rule, video_id)
        if link is not None:
            return Gated(COOLDOWN, {"cooldown_of": link.alert_video_id, "event_start": link.event_start},
                         f"continues the event alerted by {link.alert_video_id} (previous positive "
                         f"{link.previous_video_id}, cooldown {rule.cooldown_s}s)")
    return Gated(ALERT, {"event_start": iso(window_start)})


__all__ = ["ALERT", "COOLDOWN", "NO_ALERT", "SUPPRESSED", "EventLink", "Gated", "continuing_event", "gate"]
