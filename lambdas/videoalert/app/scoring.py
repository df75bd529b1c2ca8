"""Scoring: a claimed clip sent to the inference function with its camera's regions, zones and masks; a failure is
recorded FAILED (a redrive takes it again), a clip the function refuses REJECTED with its code."""
from __future__ import annotations

import logging

from videoalert.app import substream
from videoalert.app.dependencies import Dependencies
from videoalert.app.outcomes import ClipOutcome
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.errors import InferenceFailed
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Source, Status
from videoalert_contract.inference import InferenceRequest, InferenceResponse, RejectedClip, ScoredClip

logger = logging.getLogger(__name__)


def inference_request(deps: Dependencies[WorkerSettings], record: VideoRecord,
                      camera: CameraConfig, sub: substream.SubClip | None = None) -> InferenceRequest:
    """What the inference function is asked for this clip: its objects (and their presigned URLs), the window of a
    long upload, the camera's regions, zones and masks. With the camera's sub-stream clip: that is scored, and the
    picture is cut from the record's (main stream) clip."""
    keys = list(sub.keys) if sub else record.keys
    picture = None if sub is None else substream.picture_source(deps, camera, tuple(record.keys), sub.offset_s,
                                                                record.model_threshold)
    return InferenceRequest(
        video_id=record.video_id,
        bucket=record.s3_bucket or "",
        keys=tuple(keys),
        sample_fps=deps.settings.sample_fps,
        regions=camera.rule.regions,
        # not logged, not stored: each URL is a 15-minute credential for its object
        urls=tuple(deps.clips.get_urls(record.s3_bucket or "", keys)) if deps.settings.inference_urls else (),
        start_s=record.clip_start_s or 0.0,
        end_s=record.clip_end_s,
        zones=camera.rule.zones,
        masks=camera.rule.masks,
        best_frame=True,
        picture=picture,
    )


def score(deps: Dependencies[WorkerSettings], record: VideoRecord, camera: CameraConfig) -> ScoredClip | ClipOutcome:
    """The clip's scores, or the outcome of a clip that has none (recorded FAILED or REJECTED under this claim)."""
    video_id, attempt = record.video_id, record.attempts
    try:
        result = _score_stream(deps, record, camera)
    except InferenceFailed as exc:
        deps.records.finish_failed(video_id, "INFERENCE_FAILED", str(exc)[:1000], attempt=attempt)
        logger.error("video %s: inference failed: %s", video_id, exc)
        return ClipOutcome(video_id, camera.camera_id, Status.FAILED, reason="INFERENCE_FAILED",
                           metrics={"ClipsReceived": 1, "ClipsFailed": 1})
    if isinstance(result, RejectedClip):
        deps.records.finish_rejected(video_id, result.code, result.message[:1000], attempt=attempt)
        logger.warning("video %s: rejected by inference: %s %s", video_id, result.code, result.message)
        return ClipOutcome(video_id, camera.camera_id, Status.REJECTED, reason=result.code,
                           metrics={"ClipsReceived": 1, "ClipsRejected": 1})
    return result


def _score_stream(deps: Dependencies[WorkerSettings], record: VideoRecord, camera: CameraConfig) -> InferenceResponse:
    """The clip scored from the camera's sub-stream when it has one (a stream minute), else (or when the sub-stream's
    clip is missing, unreadable or refused) from the record's own clip, the record noting why."""
    if not camera.scoring_stream or record.source != Source.STREAM:
        return deps.inference.score(inference_request(deps, record, camera))
    sub = substream.window_clip(deps, camera, record.video_id, record.s3_key or record.video_id, record.window_start,
                                record.window_end, record.clip_starts_at or record.window_start)
    if isinstance(sub, substream.SubClip):
        try:
            result = deps.inference.score(inference_request(deps, record, camera, sub))
        finally:
            deps.clips.delete(list(sub.keys))
        if isinstance(result, ScoredClip):
            return substream.on_main_timeline(result, sub.offset_s, {"scored_stream": sub.stream})
        why = f"SUB_STREAM_REJECTED: {result.code}: {result.message[:300]}"
    else:
        why = sub
    result = deps.inference.score(inference_request(deps, record, camera))
    return substream.noted(result, substream.fallback_info(camera, why)) if isinstance(result, ScoredClip) else result
