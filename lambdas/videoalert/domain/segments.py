"""Segments of a camera's stream: which settled fragments a run scores, how their frames join their minute's record,
and the top embeddings a minute keeps (pure: app.segments does the I/O; docs/latency.md says why)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import groupby

from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.ids import WINDOW, Window, floor_minute, utc
from videoalert_contract.inference import FrameScore


@dataclass(frozen=True)
class FragmentInfo:
    """A stored fragment of a stream, as ListFragments lists it (a listed fragment is complete)."""

    timestamp: datetime
    size_bytes: int


def fragment_ms(fragment: FragmentInfo) -> int:
    """The fragment's producer timestamp in ms: its identity within a stream (PutMedia spaces fragments >= 200 ms)."""
    return round(utc(fragment.timestamp).timestamp() * 1000)


def open_since(cursor: datetime | None, now: datetime, settle_seconds: int) -> datetime:
    """Where a run starts listing fragments to score: the oldest minute not yet settled (older minutes are cut whole
    by the minute path in the same run), never before the camera's cursor (those minutes are recorded)."""
    unsettled = floor_minute(utc(now) - timedelta(seconds=settle_seconds))
    return unsettled if cursor is None else max(floor_minute(cursor), unsettled)


def by_minute(fragments: Iterable[FragmentInfo]) -> list[tuple[Window, list[FragmentInfo]]]:
    """Fragments grouped by the minute their timestamp falls in (the minute record that owns them), oldest first."""
    ordered = sorted(fragments, key=lambda f: f.timestamp)
    groups = []
    for start, group in groupby(ordered, key=lambda f: floor_minute(f.timestamp)):
        groups.append((Window(start, start + WINDOW), list(group)))
    return groups


def uncovered(fragments: Sequence[FragmentInfo], covered: Iterable[int]) -> list[FragmentInfo]:
    """The fragments no segment of the minute has scored yet."""
    done = set(covered)
    return [f for f in fragments if fragment_ms(f) not in done]


def shifted(frames: Iterable[FrameScore], offset_s: float) -> list[FrameScore]:
    """A segment's frame times moved onto its minute's clip timeline (t = 0 at the minute's first fragment)."""
    return [FrameScore(round(f.t + offset_s, 3), f.score, f.region, f.box) for f in frames]


def keep_top(kept: Sequence[FrameEmbedding], new: Iterable[FrameEmbedding], offset_s: float,
             k: int) -> tuple[FrameEmbedding, ...]:
    """The minute's k best-scoring embeddings so far (the false-positive memory matches these), new ones moved onto
    the minute's timeline."""
    moved = [replace(e, t=round(e.t + offset_s, 3)) for e in new]
    return tuple(sorted([*kept, *moved], key=lambda e: -e.score)[:k])
