"""Decision: the camera's rule over the clip's scores, then the gates (false-positive memory, cooldown), written as
the clip's DONE record; an ALERT's best frame is stored first, so the alert finds it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from videoalert.app.dependencies import Dependencies
from videoalert.app.links import store_best_frame
from videoalert.app.outcomes import ClipOutcome
from videoalert.config.worker import WorkerSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.gates import Gated, gate
from videoalert.domain.records import Decided, VideoRecord
from videoalert.domain.rule import Verdict, decide_frames
from videoalert.domain.timings import reconcile
from videoalert.domain.types import Decision, Status
from videoalert_contract.inference import FrameScore, ScoredClip

Deps = Dependencies[WorkerSettings]


@dataclass(frozen=True)
class Finished:
    """A decided clip: its DONE record as written, and its outcome (an ALERT's before the outbox sends it)."""

    record: VideoRecord
    outcome: ClipOutcome

    @property
    def alerts(self) -> bool:
        return self.outcome.decision == Decision.ALERT


def decide(deps: Deps, record: VideoRecord, camera: CameraConfig, result: ScoredClip,
           windows_total: int | None = None) -> Finished:
    """Decide the clip once (under its claim) and record the decision with everything it rests on."""
    rule = camera.rule
    verdict = decide_frames(result.frames, rule, result.threshold)
    top_embeddings = tuple(FrameEmbedding.from_top(e) for e in result.top_embeddings)
    gated = gate_clip(deps, record, camera, verdict, top_embeddings, result.frames)
    if verdict.decision == Decision.ALERT and result.best_frame is not None:
        store_best_frame(deps.clips, record, result.best_frame.jpeg)  # before the decision: an alert finds it
    decided = Decided(
        decision=gated.decision, rule_decision=verdict.decision,
        decision_reason="; ".join(r for r in (gated.reason, verdict.reason) if r),
        threshold=verdict.threshold, model_threshold=result.threshold, region=verdict.region,
        max_score=verdict.max_score, deciding_score=verdict.deciding_score,
        frames_over_threshold=verdict.frames_over_threshold, rule=rule, model_version=result.model_version,
        frame_scores=tuple(FrameScore(round(f.t, 3), round(f.score, 5), f.region, f.box) for f in result.frames),
        top_embeddings=top_embeddings, video_info=result.video, timings_ms=reconcile(result.timings_ms),
        suppressed_by=gated.suppressed_by, cooldown_of=gated.cooldown_of, event_start=gated.event_start,
        windows_total=windows_total,
    )
    finished = deps.records.finish_done(record.video_id, decided, attempt=record.attempts)
    outcome = ClipOutcome(record.video_id, camera.camera_id, Status.DONE, decision=gated.decision,
                          reason="" if gated.decision == Decision.ALERT else decided.decision_reason,
                          metrics=_metrics(result, gated.decision))
    return Finished(finished, outcome)


def _metrics(result: ScoredClip, decision: Decision) -> dict[str, float]:
    timings = result.timings_ms or {}
    metrics = {
        "ClipsReceived": 1,
        "ClipsProcessed": 1,
        "Frames": len(result.frames),
        "DecodeMs": float(timings.get("decode", 0.0)),
        "InferenceMs": float(timings.get("inference", 0.0)),
    }
    if decision == Decision.SUPPRESSED:
        metrics["Suppressed"] = 1
    elif decision == Decision.COOLDOWN:
        metrics["Cooldowns"] = 1
    if (result.video or {}).get("sub_stream_fallback"):  # a camera's sub-stream could not be scored (issue 34)
        metrics["SubStreamFallbacks"] = 1
    return metrics


def gate_clip(deps: Deps, record: VideoRecord, camera: CameraConfig, verdict: Verdict,
          top_embeddings: tuple[FrameEmbedding, ...], frames: tuple[FrameScore, ...] = ()) -> Gated:
    """Apply the false-positive memory and the cooldown to a clip the rule would alert on."""
    if verdict.decision != Decision.ALERT:
        return Gated(verdict.decision)
    window_start = record.window_start
    rule = camera.rule
    memory = deps.memory.entries(camera.camera_id) if deps.memory is not None and rule.fp_distance > 0 else None
    # The series' clips within a cooldown either side: an earlier positive one makes this clip continue its event,
    # and so does a later one already decided (this clip redriven or recovered after it): one alert per event.
    cooldown = timedelta(seconds=rule.cooldown_s)
    previous = (
        deps.records.by_camera(camera.camera_id, since=window_start - cooldown, until=window_start + cooldown)
        if rule.cooldown_s > 0
        else ()
    )
    return gate(verdict, rule, window_start=window_start, series=record.series, embeddings=top_embeddings,
                memory=memory, previous=previous, video_id=record.video_id, frames=frames)
