"""False-positive memory matching: is a detection close to a frame a user marked as not a person, and farther
from every frame they confirmed as a person? Pure: the entries come from store.memory."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from videoalert.domain.embeddings import FrameEmbedding, cosine_distance
from videoalert.domain.types import Label


@dataclass(frozen=True)
class MemoryEntry:
    camera_id: str
    entry_id: str  # "<added_at>#<video_id>#<nn>": sorts oldest first
    video_id: str
    t: float
    score: float
    region: str
    vector: tuple[float, ...]
    added_at: str
    kind: Label = Label.FALSE_POSITIVE


@dataclass(frozen=True)
class MemoryMatch:
    video_id: str  # the false-positive video whose frame this detection resembles
    entry_id: str
    distance: float
    t: float  # the detection's frame time in this clip

    def to_item(self) -> dict[str, Any]:
        return {"video_id": self.video_id, "entry_id": self.entry_id, "distance": round(self.distance, 5),
                "t": self.t}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> MemoryMatch:
        return cls(str(item["video_id"]), str(item.get("entry_id", "")), float(item.get("distance", 0.0)),
                   float(item.get("t", 0.0)))


def nearest(detection: FrameEmbedding, entries: Sequence[MemoryEntry]) -> MemoryMatch | None:
    best: MemoryMatch | None = None
    for entry in entries:
        if len(entry.vector) != len(detection.vector):
            continue  # stored by a model with another embedding size: it cannot be compared
        distance = cosine_distance(detection.vector, entry.vector)
        if best is None or distance < best.distance:
            best = MemoryMatch(entry.video_id, entry.entry_id, distance, detection.t)
    return best


def detections(embeddings: Sequence[FrameEmbedding], threshold: float) -> list[FrameEmbedding]:
    """The top frames that made the clip alert (those at or over the threshold; all of them if none is)."""
    over = [e for e in embeddings if e.score >= threshold]
    return over or list(embeddings)


def suppression(embeddings: Sequence[FrameEmbedding], entries: Sequence[MemoryEntry], *, threshold: float,
                max_distance: float) -> MemoryMatch | None:
    """The match that suppresses this clip, or None.

    Every detecting frame must be within max_distance of a remembered false positive, and closer to it than
    to any frame the user confirmed as a person on this camera: a statue plus a new person in another top
    frame still alerts, and so does a person whose whole-frame embedding is dominated by the same background
    as a remembered false positive. The match of the highest-scoring frame is returned as the evidence.
    """
    not_person = [e for e in entries if e.kind == Label.FALSE_POSITIVE]
    people = [e for e in entries if e.kind == Label.TRUE_POSITIVE]
    if max_distance <= 0 or not not_person:
        return None
    found = detections(embeddings, threshold)
    if not found:
        return None
    matches = []
    for detection in sorted(found, key=lambda e: -e.score):
        match = nearest(detection, not_person)
        if match is None or match.distance > max_distance:
            return None
        person = nearest(detection, people)
        if person is not None and person.distance <= match.distance:
            return None
        matches.append(match)
    return matches[0]


def matching_entries(embeddings: Iterable[FrameEmbedding], entries: Sequence[MemoryEntry], *,
                     max_distance: float) -> list[MemoryEntry]:
    """Entries within max_distance of any of these embeddings (what a true-positive label removes)."""
    found = list(embeddings)
    return [entry for entry in entries if entry.kind == Label.FALSE_POSITIVE
            and any(len(e.vector) == len(entry.vector) and cosine_distance(e.vector, entry.vector) <= max_distance
                    for e in found)]
