"""Apply feedback to a video: validate, record who and when, and teach the camera's false-positive memory."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from videoalert.app.ports import Cameras, Memory, Videos
from videoalert.domain.ids import iso
from videoalert.domain.memory import detections, matching_entries
from videoalert.domain.rule import Rule
from videoalert.domain.types import Label

LABELS = tuple(label.value for label in Label)
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_TAGS = 10


class BadFeedback(ValueError):
    """The request is not valid feedback (HTTP 400)."""


class VideoNotFound(LookupError):
    """No video with this id (HTTP 404)."""


class NotLabellable(Exception):
    """The video exists but has no decision to label yet (HTTP 409)."""


@dataclass(frozen=True)
class FeedbackRequest:
    video_id: str
    label: Label
    tags: tuple[str, ...] = ()

    @classmethod
    def parse(cls, body: Any) -> FeedbackRequest:
        if not isinstance(body, dict):
            raise BadFeedback("the body must be a JSON object {video_id, label, tags?}")
        video_id, label, tags = body.get("video_id"), body.get("label"), body.get("tags") or []
        if not isinstance(video_id, str) or not video_id.strip() or len(video_id) > 200:
            raise BadFeedback("video_id must be a non-empty string")
        if label not in LABELS:
            raise BadFeedback(f"label must be one of {', '.join(LABELS)}, got {label!r}")
        if not isinstance(tags, list) or len(tags) > MAX_TAGS:
            raise BadFeedback(f"tags must be a list of at most {MAX_TAGS} strings")
        clean = []
        for tag in tags:
            if not isinstance(tag, str) or not TAG_PATTERN.match(tag.strip().lower()):
                raise BadFeedback(f"tag {tag!r} must be 1-32 lower-case letters, digits, '-' or '_'")
            clean.append(tag.strip().lower())
        return cls(video_id.strip(), Label(label), tuple(sorted(set(clean))))


@dataclass(frozen=True)
class FeedbackResult:
    video_id: str
    camera_id: str
    label: Label
    tags: tuple[str, ...]
    changed: bool
    previous_label: Label | None
    memory_added: int
    memory_removed: int
    labelled_by: str
    labelled_at: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label.value, "tags": list(self.tags),
                "previous_label": None if self.previous_label is None else self.previous_label.value}


def apply_feedback(request: FeedbackRequest, *, records: Videos, cameras: Cameras, memory: Memory,
                   who: str, now: datetime) -> FeedbackResult:
    """Label a decided video and update the camera's memory; the same label twice changes nothing.

    A false positive adds the embeddings of the clip's detecting frames to the memory. A true positive
    removes the false-positive entries its frames match (and the video's own, if it was marked false before)
    and keeps its frames as confirmed people, which later detections must be farther from to be suppressed.
    Memory changes come first and are idempotent, so a retry after a crash finishes the job.
    """
    record = records.get(request.video_id)
    if record is None:
        raise VideoNotFound(f"no video {request.video_id!r}")
    if not record.labellable:
        raise NotLabellable(f"video {request.video_id} has no decision to label (status {record.status})")
    camera_id = record.camera_id
    previous = record.label
    if previous == request.label and tuple(record.label_tags or ()) == request.tags:
        return FeedbackResult(request.video_id, camera_id, request.label, request.tags, False, previous, 0, 0,
                              record.labelled_by or "", record.labelled_at or "", "already labelled so")
    camera = cameras.get(camera_id)
    rule = camera.rule if camera else Rule()
    embeddings = list(record.top_embeddings or ())
    added = removed = 0
    note = "" if embeddings else "the video has no stored embeddings: the memory is unchanged"
    # A false alert's every region is remembered (a clip with no person in it has none: each region may alert on a
    # later clip, bench/memory_options.py); a person's label keeps only the regions that made it alert.
    boxed = bool(embeddings) and all(e.box is not None for e in embeddings)
    detecting = embeddings if boxed and request.label == Label.FALSE_POSITIVE else detections(
        embeddings, record.threshold or 0.5)
    entries = memory.entries(camera_id)
    own = {e.entry_id for e in entries if e.video_id == request.video_id}  # from an earlier, different label
    if request.label == Label.FALSE_POSITIVE:
        removed = memory.remove(camera_id, sorted(own))
    else:
        doomed = own | {e.entry_id for e in matching_entries(embeddings, entries, max_distance=rule.fp_distance,
                                                             max_region_distance=rule.fp_region_distance)}
        removed = memory.remove(camera_id, sorted(doomed))
    if embeddings:  # a false positive is remembered; a person is kept as a counter-example
        added = len(memory.add(camera_id, request.video_id, detecting, now, kind=request.label))
    records.write_label(request.video_id, request.label, request.tags, who=who, now=now)
    return FeedbackResult(request.video_id, camera_id, request.label, request.tags, True, previous, added, removed,
                          who, iso(now), note)


@dataclass(frozen=True)
class Cleared:
    video_id: str
    camera_id: str
    previous_label: Label | None  # None: it had no label (nothing changed)
    memory_removed: int


def clear_feedback(video_id: str, *, records: Videos, memory: Memory, who: str, now: datetime) -> Cleared:
    """Undo a label: the video is unlabelled again and the camera forgets what it remembered of this video. (What a
    "correct" label removed from the memory, other videos' entries, is not brought back.)"""
    record = records.get(video_id)
    if record is None:
        raise VideoNotFound(f"no video {video_id!r}")
    if record.label is None:
        return Cleared(video_id, record.camera_id, None, 0)
    own = sorted(e.entry_id for e in memory.entries(record.camera_id) if e.video_id == video_id)
    removed = memory.remove(record.camera_id, own)
    records.clear_label(video_id, who=who, now=now)
    return Cleared(video_id, record.camera_id, record.label, removed)
