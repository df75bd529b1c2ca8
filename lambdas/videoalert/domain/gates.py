"""What may stop a clip the rule would alert on: the false-positive memory, then the event cooldown."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.memory import (
    MemoryEntry,
    MemoryMatch,
    MemoryPolicy,
    current,
    outside,
    region_matches,
    suppression,
)
from videoalert.domain.records import VideoRecord
from videoalert.domain.rule import Rule, Verdict, decide_frames
from videoalert.domain.types import POSITIVE_DECISIONS, Decision, Status
from videoalert_contract.inference import FrameScore


@dataclass(frozen=True)
class EventLink:
    """This clip continues an event that already alerted."""

    alert_video_id: str  # the video whose alert this event sent
    event_start: datetime  # window_start of that alert
    previous_video_id: str  # the positive clip just before this one


@dataclass(frozen=True)
class Gated:
    """The final decision, and the evidence the record keeps for it."""

    decision: Decision
    reason: str = ""
    suppressed_by: MemoryMatch | None = None
    cooldown_of: str | None = None
    event_start: datetime | None = None


def continuing_event(previous: Iterable[VideoRecord], window_start: datetime, rule: Rule,
                     video_id: str, series: str = "stream") -> EventLink | None:
    """The event this clip continues, if any.

    An event is a run of positive minutes (ALERT or COOLDOWN) of one series (the camera's stream, or the windows
    of one long upload: VideoRecord.series) with gaps shorter than cooldown_s; it alerts once. After max_event_s
    the event alerts again, so a real person is never hidden for long behind a long-running detection.
    `previous` may hold the series' later clips too: a clip decided after a later minute of its event (a FAILED
    minute redriven, an overdue one recovered) joins that minute's event rather than alerting a second time.
    """
    if rule.cooldown_s <= 0:
        return None
    cooldown = timedelta(seconds=rule.cooldown_s)
    # An OPEN minute that alerted early (app.segments) is positive already: the next minute's segments must find it.
    positive = [record for record in previous
                if record.video_id != video_id and record.series == series
                and record.status in (Status.DONE, Status.OPEN) and record.decision in POSITIVE_DECISIONS]
    earlier = [r for r in positive if window_start - cooldown <= r.window_start < window_start]
    if earlier:
        latest = max(earlier, key=lambda r: r.window_start)
        alert_video_id = latest.cooldown_of or latest.video_id
        event_start = latest.event_start or latest.window_start
        if rule.max_event_s and window_start - event_start >= timedelta(seconds=rule.max_event_s):
            return None
        return EventLink(alert_video_id, event_start, latest.video_id)
    later = [r for r in positive if window_start < r.window_start <= window_start + cooldown]
    if not later:
        return None
    # The nearest later clip of the event: its alert (its own, or the one it continues) is this clip's alert too.
    nearest = min(later, key=lambda r: r.window_start)
    return EventLink(nearest.cooldown_of or nearest.video_id, nearest.event_start or nearest.window_start,
                     nearest.video_id)


def gate(verdict: Verdict, rule: Rule, *, window_start: datetime, series: str,
         embeddings: Sequence[FrameEmbedding], memory: Sequence[MemoryEntry] | None,
         previous: Iterable[VideoRecord] = (), video_id: str = "", frames: Sequence[FrameScore] = ()) -> Gated:
    """The final decision for a clip the rule has judged.

    Memory comes first: a remembered false positive is not a person, so it neither alerts nor extends an
    event. Cooldown joins the clips of one series (VideoRecord.series): a camera's stream minutes, or the windows
    of one long upload; separate uploads are separate scenes.
    """
    if verdict.decision != Decision.ALERT:
        return Gated(verdict.decision)
    remembered = remembered_false_positive(verdict, rule, embeddings, memory, frames, window_start)
    if remembered is not None:
        return remembered
    link = continuing_event(previous, window_start, rule, video_id, series)
    if link is not None:
        return Gated(Decision.COOLDOWN,
                     f"continues the event alerted by {link.alert_video_id} (previous positive "
                     f"{link.previous_video_id}, cooldown {rule.cooldown_s}s)",
                     cooldown_of=link.alert_video_id, event_start=link.event_start)
    return Gated(Decision.ALERT, event_start=window_start)


def remembered_false_positive(verdict: Verdict, rule: Rule, embeddings: Sequence[FrameEmbedding],
                              memory: Sequence[MemoryEntry] | None, frames: Sequence[FrameScore],
                              now: datetime) -> Gated | None:
    """SUPPRESSED when what made the clip alert is remembered as not a person; None otherwise.

    Regions (detect mode): the matched regions' entries are taken out and the rule judges the rest, so a person
    beside a remembered statue still alerts. Whole frames: every detecting frame must match (memory.suppression).
    """
    if not memory or rule.fp_distance <= 0:
        return None
    policy = MemoryPolicy(rule.fp_region_distance)
    entries = current(memory, now, policy.max_age)
    if embeddings and all(e.box is not None for e in embeddings):
        matches = region_matches(embeddings, entries, threshold=verdict.threshold, policy=policy)
        if not matches:
            return None
        rest = decide_frames(outside(frames, matches), rule, verdict.threshold)
        if rest.decision == Decision.ALERT:
            return None
        best = matches[0]
        return Gated(Decision.SUPPRESSED,
                     f"{len(matches)} region(s) match false positive {best.video_id} (cosine distance "
                     f"{best.distance:.3f} <= {rule.fp_region_distance}, overlap {best.overlap or 0:.2f}); without "
                     f"them: "
                     f"{rest.reason}", suppressed_by=best)
    match = suppression(embeddings, entries, threshold=verdict.threshold, max_distance=rule.fp_distance)
    if match is None:
        return None
    return Gated(Decision.SUPPRESSED,
                 f"matches false positive {match.video_id} (cosine distance {match.distance:.3f}"
                 f" <= {rule.fp_distance})", suppressed_by=match)
