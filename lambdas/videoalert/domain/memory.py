"""False-positive memory matching: is a detection the same place and the same thing as a region a user marked as
not a person, and not more person-like than it? Pure: the entries come from store.memory.

Detect mode (regions with boxes): each of a clip's top regions (the crop's embedding, its box, the detector's score)
is matched on its own; the frames' entries of the matched regions are taken out and the rule judges what is left, so
a person elsewhere in the picture still alerts. Whole frames (no box): every detecting frame must match, as before.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from videoalert.domain.embeddings import FrameEmbedding, cosine_distance
from videoalert.domain.ids import parse_iso
from videoalert.domain.types import Label
from videoalert_contract.boxes import iou
from videoalert_contract.inference import FrameScore

# Chosen with the rule's fp_region_distance on the training split's scenes (bench/memory_options.py replays the
# learning curve per option; bench/README.md "False-positive memory"): the same scene later against people pasted in.
DEFAULT_MIN_IOU = 0.3  # a remembered region is this place: its box and the detection's overlap at least this much
DEFAULT_DETECTOR_MARGIN = 0.2  # a region the detector finds more person-like than the remembered one by this: a person
DEFAULT_MAX_AGE = timedelta(days=30)  # a label teaches the camera for a month (a scene changes with the seasons)
# A frame's entry belongs to a matched region when their boxes overlap this much (the inference keeps one embedding
# per region at the same overlap: videoalert_inference.scoring.TOP_REGION_OVERLAP).
SAME_REGION_OVERLAP = 0.5


@dataclass(frozen=True)
class MemoryEntry:
    camera_id: str
    entry_id: str  # "<added_at>#<video_id>#<kind>#<nn>": sorts oldest first
    video_id: str
    t: float
    score: float
    region: str
    vector: tuple[float, ...]
    added_at: str
    kind: Label = Label.FALSE_POSITIVE
    box: tuple[float, ...] | None = None  # detect mode: where the region was
    detector_score: float | None = None  # detect mode: how person-like the detector found it


@dataclass(frozen=True)
class MemoryPolicy:
    """How close a detection must be to a remembered false positive to be it."""

    max_distance: float  # cosine distance of the crops' embeddings (the rule's fp_region_distance; 0: no match)
    min_iou: float = DEFAULT_MIN_IOU
    detector_margin: float = DEFAULT_DETECTOR_MARGIN
    max_age: timedelta = DEFAULT_MAX_AGE


@dataclass(frozen=True)
class MemoryMatch:
    video_id: str  # the false-positive video whose frame this detection resembles
    entry_id: str
    distance: float
    t: float  # the detection's frame time in this clip
    box: tuple[float, ...] | None = None  # the detection's region
    overlap: float | None = None  # IoU of the detection's box and the remembered one

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"video_id": self.video_id, "entry_id": self.entry_id,
                                "distance": round(self.distance, 5), "t": self.t}
        if self.box is not None:
            item["box"] = [round(float(v), 3) for v in self.box]
        if self.overlap is not None:
            item["overlap"] = round(self.overlap, 3)
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> MemoryMatch:
        box, overlap = item.get("box"), item.get("overlap")
        return cls(str(item["video_id"]), str(item.get("entry_id", "")), float(item.get("distance", 0.0)),
                   float(item.get("t", 0.0)), None if not box else tuple(float(v) for v in box),
                   None if overlap is None else float(overlap))


def current(entries: Iterable[MemoryEntry], now: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> list[MemoryEntry]:
    """The entries still in force: added within max_age of now."""
    return [e for e in entries if now - parse_iso(e.added_at) <= max_age]


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
    """Whole frames: the match that suppresses this clip, or None.

    Every detecting frame must be within max_distance of a remembered false positive, and closer to it than
    to any frame the user confirmed as a person on this camera: a statue plus a new person in another top
    frame still alerts. The match of the highest-scoring frame is returned as the evidence.
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


def region_match(detection: FrameEmbedding, entries: Sequence[MemoryEntry], policy: MemoryPolicy) -> MemoryMatch | None:
    """The remembered false positive this region is: same place (IoU >= min_iou), same thing (cosine distance <=
    max_distance), not more person-like to the detector (its score at most the remembered one's + margin), and
    closer to it than to any region confirmed as a person in that place. None when there is no such entry."""
    if detection.box is None or policy.max_distance <= 0:
        return None
    best: MemoryMatch | None = None
    person_distance = 2.0
    for entry in entries:
        if entry.box is None or len(entry.vector) != len(detection.vector):
            continue
        overlap = iou(detection.box, entry.box)
        if overlap < policy.min_iou:
            continue
        distance = cosine_distance(detection.vector, entry.vector)
        if entry.kind == Label.TRUE_POSITIVE:
            person_distance = min(person_distance, distance)
            continue
        if distance > policy.max_distance:
            continue
        if (detection.detector_score is not None and entry.detector_score is not None
                and detection.detector_score > entry.detector_score + policy.detector_margin):
            continue
        if best is None or distance < best.distance:
            best = MemoryMatch(entry.video_id, entry.entry_id, distance, detection.t, detection.box, overlap)
    return None if best is None or person_distance <= best.distance else best


def region_matches(embeddings: Sequence[FrameEmbedding], entries: Sequence[MemoryEntry], *, threshold: float,
                   policy: MemoryPolicy) -> list[MemoryMatch]:
    """The clip's detecting regions that are remembered false positives, best-scoring first."""
    matches = []
    for detection in sorted(detections(embeddings, threshold), key=lambda e: -e.score):
        match = region_match(detection, entries, policy)
        if match is not None:
            matches.append(match)
    return matches


def outside(frames: Iterable[FrameScore], matches: Sequence[MemoryMatch],
            overlap: float = SAME_REGION_OVERLAP) -> list[FrameScore]:
    """The frames' entries that are not in a matched region (what the rule judges again)."""
    boxes = [m.box for m in matches if m.box is not None]
    return [f for f in frames if f.box is None or not any(iou(f.box, box) > overlap for box in boxes)]


def matching_entries(embeddings: Iterable[FrameEmbedding], entries: Sequence[MemoryEntry], *,
                     max_distance: float, max_region_distance: float | None = None,
                     min_iou: float = DEFAULT_MIN_IOU) -> list[MemoryEntry]:
    """False-positive entries a person label on these embeddings removes: within max_distance of one of them (whole
    frames), or in the same place within max_region_distance (regions)."""
    found = list(embeddings)

    def same(e: FrameEmbedding, entry: MemoryEntry) -> bool:
        regions = e.box is not None and entry.box is not None
        limit = max_region_distance if regions and max_region_distance is not None else max_distance
        if len(e.vector) != len(entry.vector) or cosine_distance(e.vector, entry.vector) > limit:
            return False
        return not regions or iou(e.box, entry.box) >= min_iou  # type: ignore[arg-type]

    return [entry for entry in entries if entry.kind == Label.FALSE_POSITIVE and any(same(e, entry) for e in found)]
