"""Segments: score a camera's stream as its fragments settle, alert as soon as the rule's evidence is met (an early
alert), and complete the minute's record when the minute settles (issue 32; docs/latency.md says why this design).

The minute stays the unit of storage and review: its record (video id by camera and minute) is created OPEN at its
first segment and gathers every segment's frame scores and the fragments they covered; the rule is judged on all the
minute's frames so far after each segment, and the first time it says ALERT (after the false-positive memory and the
cooldown) the decision is written on the OPEN record and sent through the outbox, as any alert. When the minute has
settled, the minute path (lifecycle.process_window) finds the OPEN record and completes it here: fragments no segment
scored are scored, the whole minute's clip is stored in S3, and the record is finished DONE from its frames, its early
ALERT kept (never sent twice). Every fragment is scored once: a segment's write is conditional on its first fragment
not being covered yet, and the camera's lease keeps two runs off one camera.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from videoalert.app import outbox, substream
from videoalert.app.decision import gate_clip
from videoalert.app.dependencies import Dependencies
from videoalert.app.links import store_best_frame
from videoalert.app.outcomes import ClipOutcome, Skip
from videoalert.app.ports import FragmentSource
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.errors import InferenceFailed, LeaseLost, MediaUnreadable
from videoalert.domain.gates import Gated
from videoalert.domain.ids import Window, stream_video_id, utc, video_key
from videoalert.domain.records import Decided, VideoRecord
from videoalert.domain.rule import Verdict, decide_frames
from videoalert.domain.segments import (
    FragmentInfo,
    by_minute,
    fragment_ms,
    keep_top,
    open_since,
    shifted,
    uncovered,
)
from videoalert.domain.types import Decision, Source, Status
from videoalert_contract.inference import (
    DEFAULT_TOP_K_EMBEDDINGS,
    InferenceRequest,
    PictureSource,
    RejectedClip,
    ScoredClip,
)
from videoalert_contract.names import stream_name

logger = logging.getLogger(__name__)
Deps = Dependencies[WorkerSettings]


def fragment_source(deps: Deps) -> FragmentSource | None:
    """The camera streams read fragment by fragment (KVS); None for a clip source that only cuts windows."""
    source: object = deps.clip_source
    return source if isinstance(source, FragmentSource) else None


def enabled(deps: Deps) -> bool:
    return deps.settings.segment_seconds > 0 and fragment_source(deps) is not None


def segment_key(record: VideoRecord, first_ms: int, run: str) -> str:
    """A segment's MP4 while it is scored (deleted after; the minute's clip is stored whole when it settles). The run's
    own token in the key: two runs racing for one segment never delete each other's object under its scoring."""
    minute = video_key(record.camera_id, record.window_start, record.video_id)
    return minute.removesuffix(".mp4") + f".seg{first_ms}-{run}.mp4"


def score_new(deps: Deps, camera: CameraConfig, now: datetime) -> list[ClipOutcome]:
    """Score the camera's fragments that settled since the last segment, minute by minute (the unsettled minutes only:
    older ones are cut whole by the minute path in the same run). Outcomes only for segments that did something."""
    source = fragment_source(deps)
    if deps.settings.segment_seconds <= 0 or source is None:
        return []
    now = min(utc(now), utc(deps.clock()))
    since = open_since(camera.cursor, now, deps.settings.settle_seconds)
    if since >= now:
        return []
    fragments = source.list_fragments(stream_name(camera.camera_id), since, now)
    outcomes = []
    for window, group in by_minute(fragments):
        outcome = score_segment(deps, camera, window, group)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _open_record(deps: Deps, camera: CameraConfig, window: Window,
                 first: FragmentInfo) -> VideoRecord | None:
    video_id = stream_video_id(camera.camera_id, window.start)
    record = deps.records.get(video_id)
    if record is not None:
        return record
    starts_at = utc(first.timestamp)
    new = VideoRecord(video_id=video_id, camera_id=camera.camera_id, source=Source.STREAM, window_start=window.start,
                      window_end=window.end, status=Status.OPEN,
                      clip_starts_at=starts_at if starts_at > window.start else None,
                      s3_bucket=deps.clips.bucket, s3_key=video_key(camera.camera_id, window.start, video_id),
                      segment_fragments=())
    deps.records.create(new, retain_for=deps.retain_for)
    return deps.records.get(video_id)


def score_segment(deps: Deps, camera: CameraConfig, window: Window,
                  fragments: list[FragmentInfo]) -> ClipOutcome | None:
    """Score the minute's fragments no segment covered yet, add them to its OPEN record, and alert early if the rule's
    evidence is now met. None when there was nothing to do (no new fragment, or the minute is no longer OPEN)."""
    source = fragment_source(deps)
    if source is None:
        raise RuntimeError("scoring a segment needs a fragment source")
    record = _open_record(deps, camera, window, fragments[0])
    if record is None or record.status != Status.OPEN:
        return None
    new = uncovered(fragments, record.segment_fragments or ())
    if not new:
        return None
    video_id = record.video_id
    try:
        parts = source.fetch_fragments(stream_name(camera.camera_id), new)
    except MediaUnreadable as exc:
        # Left uncovered: the minute's completion cuts the whole minute and records what KVS says about it.
        logger.warning("video %s: segment unreadable, left to the minute: %s", video_id, exc)
        return None
    if not parts:
        return None
    result = _infer(deps, camera, record, parts, fragment_ms(new[0]), (source, fragments, new))
    if not isinstance(result, ScoredClip):
        return result
    origin = record.clip_starts_at or record.window_start
    offset = (utc(new[0].timestamp) - utc(origin)).total_seconds()
    frames = shifted(result.frames, offset)
    top = keep_top(record.top_embeddings or (), (FrameEmbedding.from_top(e) for e in result.top_embeddings), offset,
                   max(DEFAULT_TOP_K_EMBEDDINGS, len(result.top_embeddings)))
    updated = deps.records.add_segment(
        video_id, fragments=[fragment_ms(f) for f in new], frames=[f.to_payload() for f in frames],
        fields={"top_embeddings": [e.to_item() for e in top] or None, "model_version": result.model_version,
                "model_threshold": result.threshold, "video_info": _scored_from(record, result)})
    if updated is None:  # another run covered these fragments first, or completed the minute: its result stands
        return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS,
                                    reason="segment covered by another run")
    outcome = _early(deps, updated, camera, result.threshold, result.best_frame.jpeg if result.best_frame else None)
    outcome.metrics = {"Segments": 1, "SegmentFrames": len(frames), **outcome.metrics}
    if (result.video or {}).get("sub_stream_fallback"):  # the camera's sub-stream could not be scored (issue 34)
        outcome.metrics["SubStreamFallbacks"] = 1
    return outcome


def _infer(deps: Deps, camera: CameraConfig, record: VideoRecord, parts: list[bytes], first_ms: int,
           listed: tuple[FragmentSource, list[FragmentInfo], list[FragmentInfo]]) -> ScoredClip | ClipOutcome | None:
    """A segment's MP4 in S3 for the inference function, scored, then deleted; an outcome (or None) when it failed.
    A camera with a sub-stream: the sub-stream's fragments of the same time are scored, the picture cut from these
    (the main stream's), and these are scored instead when the sub-stream has none or they are refused."""
    video_id = record.video_id
    run = uuid.uuid4().hex[:8]
    keys = [segment_key(record, first_ms + i, run) for i in range(len(parts))]
    for key, data in zip(keys, parts, strict=True):
        deps.clips.put(key, data, video_id=video_id, camera_id=camera.camera_id)
    sub = substream.segment_clip(deps, listed[0], camera, video_id, keys[0], *listed[1:]) \
        if camera.scoring_stream else None
    try:
        if isinstance(sub, substream.SubClip):
            # Only an alert uses the picture, and a minute alerts once: after its early alert, none is cut from the
            # main stream (the sub-stream's own best frame, cheap, comes with the scores).
            picture = None if record.decision is not None else substream.picture_source(
                deps, camera, tuple(keys), sub.offset_s, record.model_threshold)
            result = deps.inference.score(_request(deps, camera, video_id, list(sub.keys), picture))
            if isinstance(result, ScoredClip):
                return substream.on_main_timeline(result, sub.offset_s, {"scored_stream": sub.stream})
            sub = f"SUB_STREAM_REJECTED: {result.code}: {result.message[:300]}"
        result = deps.inference.score(_request(deps, camera, video_id, keys))
    except InferenceFailed as exc:
        logger.error("video %s: segment inference failed, left to the minute: %s", video_id, exc)
        return ClipOutcome(video_id, camera.camera_id, Status.OPEN, reason="SEGMENT_INFERENCE_FAILED",
                           metrics={"SegmentsFailed": 1})
    finally:
        deps.clips.delete(keys + (list(sub.keys) if isinstance(sub, substream.SubClip) else []))
    if isinstance(result, RejectedClip):
        logger.warning("video %s: segment rejected by inference, left to the minute: %s", video_id, result.code)
        return None
    return substream.noted(result, substream.fallback_info(camera, sub)) if isinstance(sub, str) else result


def _request(deps: Deps, camera: CameraConfig, video_id: str, keys: list[str],
             picture: PictureSource | None = None) -> InferenceRequest:
    rule = camera.rule
    return InferenceRequest(
        video_id=video_id, bucket=deps.clips.bucket, keys=tuple(keys), sample_fps=deps.settings.sample_fps,
        regions=rule.regions,
        urls=tuple(deps.clips.get_urls(deps.clips.bucket, keys)) if deps.settings.inference_urls else (),
        # A segment is a stretch of a continuous stream, not a short clip: sampled at sample_fps alone, like the
        # minute it belongs to (the short-clip floor would score 12 frames of every 2 s, and make the rule's
        # "two frames" two moments a fraction of a second apart).
        zones=rule.zones, masks=rule.masks, best_frame=True, min_samples=0, picture=picture)


def _scored_from(record: VideoRecord, result: ScoredClip) -> dict[str, object] | None:
    """What the minute was scored from (a camera with a sub-stream), kept on the record: the last segment's stream,
    and the last reason the main stream had to be scored instead."""
    video = result.video or {}
    if "scored_stream" not in video:
        return None
    kept = dict(record.video_info or {})
    return kept | {k: v for k, v in video.items() if k in ("scored_stream", "sub_stream_fallback")}


def _verdict(record: VideoRecord, camera: CameraConfig, model_threshold: float) -> Verdict:
    return decide_frames(record.frame_scores or (), camera.rule, model_threshold)


def _decided(record: VideoRecord, camera: CameraConfig, verdict: Verdict, gated: Gated,
             model_threshold: float) -> Decided:
    return Decided(
        decision=gated.decision, rule_decision=verdict.decision,
        decision_reason="; ".join(r for r in (gated.reason, verdict.reason) if r),
        threshold=verdict.threshold, model_threshold=model_threshold, region=verdict.region,
        max_score=verdict.max_score, deciding_score=verdict.deciding_score,
        frames_over_threshold=verdict.frames_over_threshold, rule=camera.rule, model_version=record.model_version,
        frame_scores=tuple(record.frame_scores or ()), top_embeddings=tuple(record.top_embeddings or ()),
        video_info=record.video_info, timings_ms=None, suppressed_by=gated.suppressed_by,
        cooldown_of=gated.cooldown_of, event_start=gated.event_start)


def _early(deps: Deps, record: VideoRecord, camera: CameraConfig, model_threshold: float,
           best_jpeg: bytes | None) -> ClipOutcome:
    """The rule on the minute's frames so far: ALERT (after the memory and the cooldown) is decided and sent now."""
    video_id = record.video_id
    if record.decision is not None:  # decided early by a previous segment: only make sure its alert went out
        if record.decision == Decision.ALERT and not record.alert_message_id:
            return outbox.ensure_alert(deps, record, duplicate=False)
        return ClipOutcome(video_id, camera.camera_id, Status.OPEN, decision=record.decision)
    verdict = _verdict(record, camera, model_threshold)
    if verdict.decision != Decision.ALERT:
        return ClipOutcome(video_id, camera.camera_id, Status.OPEN, reason=verdict.reason)
    gated = gate_clip(deps, record, camera, verdict, tuple(record.top_embeddings or ()),
                           tuple(record.frame_scores or ()))
    if gated.decision != Decision.ALERT:
        # A cooldown or a remembered false positive: nothing is sent; the minute is decided whole when it settles.
        return ClipOutcome(video_id, camera.camera_id, Status.OPEN, decision=gated.decision,
                                    reason=gated.reason)
    store_best_frame(deps.clips, record, best_jpeg)  # before the decision: the alert finds it
    decided = deps.records.decide_early(video_id, _decided(record, camera, verdict, gated, model_threshold))
    if decided is None:
        return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS,
                                    reason="decided by another run")
    logger.info("video %s: early alert, %s", video_id, verdict.reason)
    outcome = outbox.ensure_alert(deps, decided, duplicate=False)
    outcome.status = Status.OPEN
    outcome.metrics = {**outcome.metrics, "EarlyAlerts": 1}
    return outcome


def complete(deps: Deps, camera: CameraConfig, window: Window,
             record: VideoRecord) -> ClipOutcome:
    """The settled minute of an OPEN record: score what no segment did, store the minute's clip, finish the record."""
    video_id, source = record.video_id, fragment_source(deps)
    if source is None:
        raise RuntimeError("completing a segment-scored minute needs a fragment source")
    stream = stream_name(camera.camera_id)
    fragments = source.list_fragments(stream, window.start, window.end)
    missing = uncovered(fragments, record.segment_fragments or ())
    if missing:
        score_segment(deps, camera, window, missing)
    try:
        parts = source.fetch_fragments(stream, fragments) if fragments else []
    except MediaUnreadable as exc:
        parts, unreadable = [], str(exc)[:1000]
    else:
        unreadable = ""
    keys = [video_key(camera.camera_id, window.start, video_id, part=i + 1) for i in range(len(parts))]
    for key, data in zip(keys, parts, strict=True):
        deps.clips.put(key, data, video_id=video_id, camera_id=camera.camera_id)
    claimed = deps.records.claim(video_id, allow_from=(Status.OPEN,))
    if claimed is None:
        return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS,
                                    reason="held by another run")
    unscored = len(uncovered(fragments, claimed.segment_fragments or ()))
    try:
        return _finish(deps, claimed, camera, keys, sum(len(p) for p in parts), unreadable, unscored)
    except LeaseLost as exc:
        logger.warning("video %s: %s", video_id, exc)
        return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS,
                                    reason="lease lost to another run")


def _finish(deps: Deps, record: VideoRecord, camera: CameraConfig, keys: list[str],
            size: int, unreadable: str, unscored: int) -> ClipOutcome:
    video_id, attempt = record.video_id, record.attempts
    early = record.decision == Decision.ALERT
    clip: dict[str, object] = {"size_bytes": size or None, "parts": len(keys) or None}
    if keys:
        clip |= {"s3_key": keys[0], "more_keys": tuple(keys[1:]) or None}
    if not record.frame_scores and not early and unreadable:
        deps.records.finish_rejected(video_id, "MEDIA_UNREADABLE", unreadable, attempt=attempt)
        return ClipOutcome(video_id, camera.camera_id, Status.REJECTED, reason="MEDIA_UNREADABLE",
                           metrics={"ClipsReceived": 1, "ClipsRejected": 1})
    if (unscored or not record.frame_scores) and not early:
        # Some fragments could not be scored, even at completion: never a decision on part of the minute. FAILED,
        # with its whole clip stored: `videoalert redrive` scores the minute whole.
        detail = f"{unscored} of the minute's fragments could not be scored (segment inference failed)"
        deps.records.finish_failed(video_id, "INFERENCE_FAILED", detail, attempt=attempt, clip=clip)
        return ClipOutcome(video_id, camera.camera_id, Status.FAILED, reason="INFERENCE_FAILED",
                           metrics={"ClipsReceived": 1, "ClipsFailed": 1})
    model_threshold = record.model_threshold if record.model_threshold is not None else 0.5
    verdict = _verdict(record, camera, model_threshold)
    if early:  # sent already (or being sent): the minute keeps the decision its alert was sent with
        gated = Gated(Decision.ALERT, "alerted early, before the minute settled", event_start=record.event_start)
    else:
        gated = gate_clip(deps, record, camera, verdict, tuple(record.top_embeddings or ()),
                               tuple(record.frame_scores or ()))
    finished = deps.records.finish_done(video_id, _decided(record, camera, verdict, gated, model_threshold),
                                        attempt=attempt, alert_sent=bool(record.alert_message_id), clip=clip)
    metrics: dict[str, float] = {"ClipsReceived": 1, "ClipsProcessed": 1, "Frames": len(record.frame_scores or ())}
    if gated.decision == Decision.SUPPRESSED:
        metrics["Suppressed"] = 1
    elif gated.decision == Decision.COOLDOWN:
        metrics["Cooldowns"] = 1
    if gated.decision != Decision.ALERT:
        return ClipOutcome(video_id, camera.camera_id, Status.DONE, decision=gated.decision,
                                    reason=finished.decision_reason or "", metrics=metrics)
    outcome = outbox.ensure_alert(deps, finished, duplicate=early)
    if early:
        outcome.status = Status.DONE
    outcome.metrics = {**metrics, **outcome.metrics}
    return outcome
