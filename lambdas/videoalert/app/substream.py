"""Scoring a camera from its sub-stream (issue 34): a camera registered with a scoring stream (a small copy of the same
view, an IP camera's sub-stream) is scored from that stream's clip of the same time, while the main stream's clip stays
the record's clip and the alert picture is cut from it (boxes are fractions of the frame, so a box is the same on
both). When the sub-stream has no media for the time, or KVS cannot package it, or the inference function refuses it,
the main stream is scored as before and the record says why (its video_info's sub_stream_fallback)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from videoalert.app.dependencies import Dependencies
from videoalert.app.ports import FragmentSource
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.errors import MediaUnreadable, UnknownStream
from videoalert.domain.segments import FragmentInfo
from videoalert_contract.inference import BestFrame, FrameScore, PictureSource, ScoredClip, TopEmbedding

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]

# The picture is cut from the main stream for an entry that could alert: at the rule's threshold, else the model's once
# the minute's record knows it (after its first segment), else this (below every released model's threshold, so no
# alert lacks it; a lesser entry's picture is the sub-stream's, which no alert uses).
PICTURE_MIN_SCORE = 0.5
_DEFAULT_FRAGMENT = timedelta(seconds=2)


@dataclass(frozen=True)
class SubClip:
    """The sub-stream's clip in S3 (temporary keys, deleted after scoring) and where its t = 0 lies on the main clip's
    time line (seconds; fragments of the two streams rarely start at exactly the same moment)."""

    stream: str
    keys: tuple[str, ...]
    offset_s: float


def picture_source(deps: Deps, camera: CameraConfig, main_keys: tuple[str, ...], offset_s: float,
                   model_threshold: float | None) -> PictureSource:
    """Where the inference function cuts the alert picture: the main stream's clip of the same time."""
    urls = tuple(deps.clips.get_urls(deps.clips.bucket, list(main_keys))) if deps.settings.inference_urls else ()
    rule = camera.rule.threshold
    min_score = rule if rule is not None else (model_threshold or PICTURE_MIN_SCORE)
    return PictureSource(keys=main_keys, urls=urls, offset_s=offset_s, min_score=min_score)


def store_parts(deps: Deps, camera: CameraConfig, video_id: str, key_base: str, parts: list[bytes]) -> tuple[str, ...]:
    """The sub-stream's clip put in S3 under this run's own keys (two runs never delete each other's)."""
    run = uuid.uuid4().hex[:8]
    keys = tuple(f"{key_base.removesuffix('.mp4')}.sub{i + 1}-{run}.mp4" for i in range(len(parts)))
    for key, data in zip(keys, parts, strict=True):
        deps.clips.put(key, data, video_id=video_id, camera_id=camera.camera_id)
    return keys


def window_clip(deps: Deps, camera: CameraConfig, video_id: str, key_base: str, start: datetime, end: datetime,
                main_starts_at: datetime) -> SubClip | str:
    """The sub-stream's clip of a minute (GetClip on the scoring stream), stored for scoring; or why there is none."""
    stream = camera.scoring_stream
    if not stream or deps.clip_source is None:
        return "NO_SUB_STREAM: the camera has no scoring stream"
    try:
        parts = deps.clip_source.fetch_clip(stream, start, end)
    except (MediaUnreadable, UnknownStream) as exc:
        return f"SUB_STREAM_UNREADABLE: {str(exc)[:300]}"
    if not parts:
        return f"SUB_STREAM_EMPTY: no fragments on {stream} in the window"
    starts_at = getattr(parts, "starts_at", None)
    offset = (starts_at - main_starts_at).total_seconds() if isinstance(starts_at, datetime) else 0.0
    return SubClip(stream, store_parts(deps, camera, video_id, key_base, list(parts)), offset)


def segment_range(fragments: list[FragmentInfo], new: list[FragmentInfo]) -> tuple[datetime, datetime]:
    """The time the new main-stream fragments cover: from the first one to the next fragment after them (else the
    last one plus the longest fragment spacing seen, 2 s without one)."""
    last = new[-1].timestamp
    after = [f.timestamp for f in fragments if f.timestamp > last]
    if after:
        return new[0].timestamp, min(after)
    gaps = [b - a for a, b in pairwise(sorted(f.timestamp for f in fragments))]
    return new[0].timestamp, last + max(gaps, default=_DEFAULT_FRAGMENT)


def segment_clip(deps: Deps, source: FragmentSource, camera: CameraConfig, video_id: str, key_base: str,
                 fragments: list[FragmentInfo], new: list[FragmentInfo]) -> SubClip | str:
    """The sub-stream's fragments over the time of a segment's new main-stream fragments, stored for scoring; or why
    there are none."""
    stream = camera.scoring_stream
    if not stream:
        return "NO_SUB_STREAM: the camera has no scoring stream"
    start, end = segment_range(fragments, new)
    try:
        found = source.list_fragments(stream, start, end)
        parts = source.fetch_fragments(stream, found) if found else []
    except (MediaUnreadable, UnknownStream) as exc:
        return f"SUB_STREAM_UNREADABLE: {str(exc)[:300]}"
    if not parts:
        return f"SUB_STREAM_EMPTY: no fragments on {stream} in the segment"
    offset = (found[0].timestamp - new[0].timestamp).total_seconds()
    return SubClip(stream, store_parts(deps, camera, video_id, key_base, list(parts)), offset)


def on_main_timeline(result: ScoredClip, offset_s: float, info: dict[str, str]) -> ScoredClip:
    """The sub-stream clip's answer with its times moved onto the main clip's time line, and what was scored noted in
    its video info (the record keeps it)."""
    def moved(frame: FrameScore) -> FrameScore:
        return replace(frame, t=round(frame.t + offset_s, 3))

    best = result.best_frame
    return replace(
        result, frames=tuple(moved(f) for f in result.frames),
        top_embeddings=tuple(TopEmbedding(moved(e.frame), e.embedding, e.detector_score)
                             for e in result.top_embeddings),
        best_frame=None if best is None else BestFrame(moved(best.frame), best.jpeg),
        video={**(result.video or {}), **info})


def noted(result: ScoredClip, info: dict[str, str]) -> ScoredClip:
    return replace(result, video={**(result.video or {}), **info})


def fallback_info(camera: CameraConfig, why: str) -> dict[str, str]:
    logger.warning("camera %s: main stream scored instead of %s: %s", camera.camera_id, camera.scoring_stream, why)
    return {"scored_stream": "main", "sub_stream_fallback": why}
