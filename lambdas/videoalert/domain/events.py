"""Events: what a person acts on. The minutes of one cooldown event (its ALERT and the COOLDOWN minutes that continue
it) are one event; any other decided minute (NO_ALERT, SUPPRESSED, or an ALERT whose event has no further minute) is
an event of its own. Pure: grouping, the best minute and its person's box, filters, newest-first order."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from videoalert.domain.first_seen import first_seen
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Decision, Label, Status
from videoalert_contract.inference import FrameScore
from videoalert_contract.zones import region_counts

UNLABELLED = "unlabelled"  # the label filter's value for events nobody has labelled yet


@dataclass(frozen=True)
class Event:
    """One event of one camera; minutes in time order, the first of an alerting event being its ALERT."""

    camera_id: str
    event_id: str  # the video id that opened it (an alerting event: the alert's video, whose links the alert sent)
    minutes: tuple[VideoRecord, ...]

    @property
    def head(self) -> VideoRecord:
        """The minute a label is given to: the alert's (the one whose frames the memory learns), else the first."""
        return next((m for m in self.minutes if m.video_id == self.event_id), self.minutes[0])

    @property
    def decision(self) -> Decision:
        """ALERT for an event that alerted (even when its alert minute is older than what was read)."""
        decisions = {m.decision for m in self.minutes}
        if Decision.ALERT in decisions or Decision.COOLDOWN in decisions:
            return Decision.ALERT
        return self.minutes[0].decision or Decision.NO_ALERT

    @property
    def start(self) -> datetime:
        return min(m.event_start or m.window_start for m in self.minutes)

    @property
    def end(self) -> datetime:
        return max(m.window_end for m in self.minutes)

    @property
    def best(self) -> VideoRecord:
        """The minute that scored highest (its best frame is the event's picture)."""
        return max(self.minutes, key=lambda m: (m.max_score or 0.0, m.window_start))

    @property
    def best_entry(self) -> FrameScore | None:
        return best_entry(self.best)

    @property
    def label(self) -> Label | None:
        """The head's label, else the first label any minute was given."""
        return self.head.label or next((m.label for m in self.minutes if m.label), None)

    @property
    def first_seen(self) -> datetime:
        positive = [m for m in self.minutes if m.rule_decision == Decision.ALERT] or list(self.minutes)
        return min(first_seen(m) for m in positive)


def best_entry(record: VideoRecord) -> FrameScore | None:
    """The record's highest-scoring entry that counted under the rule it was decided by (inside its zones): the
    entry the best frame shows, with the person's box when the region has one."""
    rule = record.rule
    zones, masks = (rule.zones, rule.masks) if rule else ((), ())
    counting = [f for f in record.frame_scores or () if region_counts(f.box, zones, masks)]
    return max(counting, key=lambda f: (f.score, -f.t), default=None)


def group_events(records: Iterable[VideoRecord]) -> list[Event]:
    """Decided records -> events, newest first (by start, then camera). Undecided records are left out."""
    groups: dict[tuple[str, str], list[VideoRecord]] = {}
    for record in records:
        if record.status != Status.DONE or record.decision is None:
            continue
        key = record.cooldown_of if record.decision == Decision.COOLDOWN and record.cooldown_of else record.video_id
        groups.setdefault((record.camera_id, key), []).append(record)
    events = [Event(camera, key, tuple(sorted(minutes, key=lambda m: (m.window_start, m.video_id))))
              for (camera, key), minutes in groups.items()]
    return sorted(events, key=lambda e: (e.start, e.camera_id, e.event_id), reverse=True)


@dataclass(frozen=True)
class EventFilter:
    """What a list shows: None lets everything through. label: a Label's value, or UNLABELLED."""

    decisions: frozenset[Decision] | None = None
    label: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def keeps(self, event: Event) -> bool:
        if self.decisions is not None and event.decision not in self.decisions:
            return False
        if self.label is not None and (event.label.value if event.label else UNLABELLED) != self.label:
            return False
        if self.since is not None and event.end <= self.since:
            return False
        return self.until is None or event.start < self.until


@dataclass(frozen=True)
class EventPage:
    events: tuple[Event, ...]
    page: int
    more: bool  # a next page exists


def page_of(events: Sequence[Event], keep: EventFilter, *, page: int, size: int) -> EventPage:
    """Page `page` (0 first) of the filtered events, newest first."""
    kept = [e for e in events if keep.keeps(e)]
    start = max(0, page) * size
    return EventPage(tuple(kept[start:start + size]), max(0, page), len(kept) > start + size)
