"""The dispatcher's logic: cut windows or take uploads, record, score, decide, alert once."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from videoalert.domain.alert_message import build_alert
from videoalert.aws.sns import AlertPublisher
from videoalert.store.cameras import CameraConfig, CameraStore
from videoalert.aws.s3 import ClipStore
from videoalert.domain.gates import Gated, gate
from videoalert.domain.rule import ALERT, COOLDOWN, SUPPRESSED, decide_frames
from videoalert.domain.embeddings import compact, from_record
from videoalert.store.memory import FpMemory
from videoalert.domain.ids import (Window, camera_from_upload_key, due_windows, iso, is_valid_camera_id, parse_iso,
                  stream_video_id, upload_video_id, utc, video_key)
from videoalert.aws.inference import InferenceClient, InferenceFailed
from videoalert.aws.kvs import MediaUnreadable
from videoalert.app.log_context import clip_context
from videoalert_contract.names import stream_name
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.store.videos import DONE, FAILED, RECEIVED, REJECTED, TERMINAL_STATUSES, VideoRecords

logger = logging.getLogger(__name__)

# Outcome kinds beyond the record statuses.
IDLE = "IDLE"  # no media in the window: a logged skip, no record
DUPLICATE = "DUPLICATE"  # the event was seen before: nothing changed
SKIPPED = "SKIPPED"


class ClipSource(Protocol):
    def fetch_clip(self, stream_name: str, start: datetime, end: datetime) -> list[bytes]: ...


class AlertNotSent(Exception):
    """The SNS publish failed after the client's retries; the claim is released so a retry can send it."""


@dataclass
class Dependencies:
    settings: DispatcherSettings
    records: VideoRecords
    cameras: CameraStore
    clips: ClipStore
    inference: InferenceClient
    alerts: AlertPublisher
    clip_source: ClipSource | None = None
    max_catchup: timedelta = timedelta(hours=24)
    memory: FpMemory | None = None  # the false-positive memory; None turns suppression off


@dataclass
class ClipOutcome:
    video_id: str | None
    camera_id: str | None
    status: str
    decision: str | None = None
    reason: str = ""
    alert_message_id: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        """True when the window may be left behind: recorded for good (or idle) and any alert sent."""
        return self.status in TERMINAL_STATUSES | {FAILED, IDLE, DUPLICATE}


# ---------------------------------------------------------------------------------------------- uploads

def process_upload(deps: Dependencies, bucket: str, raw_key: str) -> ClipOutcome:
    camera_id, key = camera_from_upload_key(raw_key)
    head = deps.clips.head(bucket, key)
    if head is None:
        logger.warning("uploaded object %s/%s is gone; nothing to do", bucket, key)
        return ClipOutcome(None, camera_id, SKIPPED, reason="OBJECT_GONE")
    video_id = upload_video_id(camera_id, bucket, key, head.get("ETag", ""))
    window_start = utc(head["LastModified"]).replace(microsecond=0)
    base = {"video_id": video_id, "camera_id": camera_id, "source": "upload", "upload_key": key,
            "window_start": iso(window_start), "window_end": iso(window_start + timedelta(minutes=1)),
            "size_bytes": int(head.get("ContentLength", 0))}

    camera = deps.cameras.get(camera_id) if is_valid_camera_id(camera_id) else None
    if camera is None:
        return _reject_new(deps, base, "UNKNOWN_CAMERA", f"camera {camera_id!r} is not registered")
    if base["size_bytes"] == 0:
        return _reject_new(deps, base, "EMPTY_VIDEO", "the uploaded file is empty (0 bytes)")
    if base["size_bytes"] > deps.settings.max_video_bytes:
        return _reject_new(deps, base, "TOO_LARGE",
                           f"{base['size_bytes']} bytes is over the {deps.settings.max_video_bytes} byte limit")

    s3_key = video_key(camera_id, window_start, video_id)
    existing = deps.records.get(video_id)
    if existing is None:
        deps.clips.copy_in(bucket, key, s3_key, video_id=video_id, camera_id=camera_id)
        deps.records.create({**base, "status": RECEIVED, "s3_bucket": deps.clips.bucket, "s3_key": s3_key,
                             "more_keys": []})
    return process_recorded(deps, video_id, camera)


def _reject_new(deps: Dependencies, base: dict, code: str, message: str) -> ClipOutcome:
    created = deps.records.create({**base, "status": REJECTED, "reason": code, "reason_detail": message})
    logger.warning("rejected %s: %s (%s)", base["video_id"], code, message)
    status = REJECTED if created else DUPLICATE
    return ClipOutcome(base["video_id"], base["camera_id"], status, reason=code,
                       metrics={"ClipsReceived": 1, "ClipsRejected": 1} if created else {})


# ---------------------------------------------------------------------------------------------- windows

def run_schedule(deps: Dependencies, now: datetime) -> list[ClipOutcome]:
    """Process the due windows of every enabled camera; one camera's trouble does not stop the others."""
    outcomes: list[ClipOutcome] = []
    for camera in deps.cameras.all_cameras():
        if not camera.enabled:
            continue
        try:
            outcomes.extend(run_camera(deps, camera, now))
        except Exception as exc:  # noqa: BLE001 - logged with the camera, retried by the next run
            logger.exception("camera %s: run stopped, the cursor stays for the next run", camera.camera_id)
            outcomes.append(ClipOutcome(None, camera.camera_id, FAILED, reason=f"{type(exc).__name__}: {exc}",
                                        metrics={"CameraRunErrors": 1}))
    return outcomes


def run_camera(deps: Dependencies, camera: CameraConfig, now: datetime) -> list[ClipOutcome]:
    s = deps.settings
    cursor = camera.cursor
    outcomes = []
    for window in due_windows(cursor, now, settle_seconds=s.settle_seconds, max_windows=s.max_windows_per_run,
                              max_catchup=deps.max_catchup):
        outcome = process_window(deps, camera, window)
        outcomes.append(outcome)
        if not outcome.settled:
            break  # the cursor stays: the next run retries this window, nothing is lost
        if not deps.cameras.advance_cursor(camera.camera_id, cursor, window.end):
            logger.info("camera %s: another run moved the cursor; stopping here", camera.camera_id)
            break
        cursor = window.end
    return outcomes


def process_window(deps: Dependencies, camera: CameraConfig, window: Window) -> ClipOutcome:
    video_id = stream_video_id(camera.camera_id, window.start)
    if deps.records.get(video_id) is not None:
        return process_recorded(deps, video_id, camera)
    if deps.clip_source is None:
        raise RuntimeError("no clip source configured for stream windows")
    try:
        parts = deps.clip_source.fetch_clip(stream_name(camera.camera_id), window.start, window.end)
    except MediaUnreadable as exc:
        # KVS cannot package this minute (codec or frame errors): retrying gives the same answer.
        base = {"video_id": video_id, "camera_id": camera.camera_id, "source": "stream",
                "window_start": iso(window.start), "window_end": iso(window.end)}
        return _reject_new(deps, base, "MEDIA_UNREADABLE", str(exc)[:1000])
    if not parts:
        logger.info("camera %s: no media in %s..%s, skipping", camera.camera_id, iso(window.start), iso(window.end))
        return ClipOutcome(video_id, camera.camera_id, IDLE, metrics={"IdleWindows": 1})
    base = {"video_id": video_id, "camera_id": camera.camera_id, "source": "stream",
            "window_start": iso(window.start), "window_end": iso(window.end),
            "size_bytes": sum(len(p) for p in parts), "parts": len(parts)}
    if base["size_bytes"] > deps.settings.max_video_bytes:
        return _reject_new(deps, base, "TOO_LARGE",
                           f"{base['size_bytes']} bytes is over the {deps.settings.max_video_bytes} byte limit")
    keys = [video_key(camera.camera_id, window.start, video_id, part=i + 1) for i in range(len(parts))]
    for key, data in zip(keys, parts):
        deps.clips.put(key, data, video_id=video_id, camera_id=camera.camera_id)
    deps.records.create({**base, "status": RECEIVED, "s3_bucket": deps.clips.bucket, "s3_key": keys[0],
                         "more_keys": keys[1:]})
    return process_recorded(deps, video_id, camera)


# ---------------------------------------------------------------------------------------------- scoring

def process_recorded(deps: Dependencies, video_id: str, camera: CameraConfig,
                     allow_from: tuple[str, ...] = (RECEIVED,)) -> ClipOutcome:
    """Score and decide a recorded clip once; a replay finds it taken or finished and changes nothing."""
    with clip_context(video_id=video_id, camera_id=camera.camera_id):
        return _process_recorded(deps, video_id, camera, allow_from)


def _process_recorded(deps: Dependencies, video_id: str, camera: CameraConfig,
                     allow_from: tuple[str, ...] = (RECEIVED,)) -> ClipOutcome:
    record = deps.records.claim(video_id, allow_from=allow_from)
    if record is None:
        record = deps.records.get(video_id) or {}
        if record.get("status") == DONE and record.get("decision") == ALERT:
            return _ensure_alert(deps, record, duplicate=True)
        return ClipOutcome(video_id, camera.camera_id, DUPLICATE, decision=record.get("decision"),
                           reason=f"already {record.get('status')}")
    keys = [record["s3_key"], *(record.get("more_keys") or [])]
    request = {"video_id": video_id, "bucket": record["s3_bucket"], "key": keys[0], "more_keys": keys[1:],
               "sample_fps": deps.settings.sample_fps, "regions": camera.rule.regions}
    if deps.settings.inference_urls:  # not logged, not stored: each URL is a 15-minute credential for its object
        request["urls"] = deps.clips.get_urls(record["s3_bucket"], keys)
    try:
        result = deps.inference.score(request)
    except InferenceFailed as exc:
        deps.records.finish(video_id, FAILED, {"reason": "INFERENCE_FAILED", "reason_detail": str(exc)[:1000]})
        logger.error("video %s: inference failed: %s", video_id, exc)
        return ClipOutcome(video_id, camera.camera_id, FAILED, reason="INFERENCE_FAILED",
                           metrics={"ClipsReceived": 1, "ClipsFailed": 1})
    if not result.get("ok"):
        error = result.get("error") or {}
        code = str(error.get("code", "BAD_VIDEO"))
        deps.records.finish(video_id, REJECTED, {"reason": code, "reason_detail": str(error.get("message", ""))[:1000]})
        logger.warning("video %s: rejected by inference: %s %s", video_id, code, error.get("message"))
        return ClipOutcome(video_id, camera.camera_id, REJECTED, reason=code,
                           metrics={"ClipsReceived": 1, "ClipsRejected": 1})

    frames = result.get("frames") or []
    rule = camera.rule
    verdict = decide_frames(frames, rule, float(result["threshold"]))
    top_embeddings = compact(result.get("top_embeddings"))
    gated = _gate(deps, record, camera, verdict, top_embeddings)
    fields = {
        "decision": gated.decision, "rule_decision": verdict.decision,
        "decision_reason": "; ".join(r for r in (gated.reason, verdict.reason) if r),
        "threshold": verdict.threshold, "model_threshold": float(result["threshold"]), "region": verdict.region,
        "max_score": verdict.max_score, "deciding_score": verdict.deciding_score,
        "frames_over_threshold": verdict.frames_over_threshold,
        "rule": rule.to_item(), "rule_version": rule.version,
        "model_version": result.get("model_version"),
        "frame_scores": [{"t": round(float(f["t"]), 3), "score": round(float(f["score"]), 5),
                          "region": f.get("region", "full"), **({"box": f["box"]} if f.get("box") else {})}
                         for f in frames],
        "top_embeddings": top_embeddings or None,
        "video_info": result.get("video"), "timings_ms": result.get("timings_ms"),
        "reason": None, "reason_detail": None, **gated.fields,
    }
    finished = deps.records.finish(video_id, DONE, fields)
    timings = result.get("timings_ms") or {}
    metrics = {"ClipsReceived": 1, "ClipsProcessed": 1, "Frames": len(frames),
               "DecodeMs": float(timings.get("decode", 0.0)), "InferenceMs": float(timings.get("inference", 0.0))}
    if gated.decision == SUPPRESSED:
        metrics["Suppressed"] = 1
    elif gated.decision == COOLDOWN:
        metrics["Cooldowns"] = 1
    if gated.decision != ALERT:
        return ClipOutcome(video_id, camera.camera_id, DONE, decision=gated.decision,
                           reason=fields["decision_reason"], metrics=metrics)
    outcome = _ensure_alert(deps, finished, duplicate=False)
    outcome.metrics = {**metrics, **outcome.metrics}
    return outcome


def _gate(deps: Dependencies, record: dict, camera: CameraConfig, verdict, top_embeddings: list[dict]):
    """Apply the false-positive memory and the cooldown to a clip the rule would alert on."""
    if verdict.decision != ALERT:
        return Gated(verdict.decision, {})
    window_start = parse_iso(record["window_start"])
    rule = camera.rule
    memory = deps.memory.entries(camera.camera_id) if deps.memory is not None and rule.fp_distance > 0 else None
    is_stream = record.get("source") == "stream"
    previous = (deps.records.by_camera(camera.camera_id, since=window_start - timedelta(seconds=rule.cooldown_s),
                                       until=window_start)
                if is_stream and rule.cooldown_s > 0 else ())
    return gate(verdict, rule, window_start=window_start, is_stream=is_stream,
                embeddings=from_record({"top_embeddings": top_embeddings}), memory=memory,
                previous=previous, video_id=record["video_id"])


def _ensure_alert(deps: Dependencies, record: dict, *, duplicate: bool) -> ClipOutcome:
    """Publish the alert of an ALERT record unless it was published (or is being published) already."""
    video_id, camera_id = record["video_id"], record["camera_id"]
    if record.get("alert_message_id") or not deps.records.claim_alert(video_id):
        return ClipOutcome(video_id, camera_id, DUPLICATE if duplicate else DONE, decision=ALERT,
                           alert_message_id=record.get("alert_message_id"), reason="alert already sent")
    try:
        message_id = deps.alerts.publish(build_alert(record))
    except Exception as exc:
        deps.records.release_alert(video_id)
        raise AlertNotSent(f"video {video_id}: SNS publish failed: {exc}") from exc
    deps.records.record_alert(video_id, message_id)
    logger.info("video %s: alert %s published", video_id, message_id)
    return ClipOutcome(video_id, camera_id, DONE, decision=ALERT, alert_message_id=message_id,
                       metrics={"Alerts": 1})


# ---------------------------------------------------------------------------------------------- redrive

def redrive(deps: Dependencies, video_ids: tuple[str, ...] = ()) -> list[ClipOutcome]:
    """Score FAILED clips again (all of them when no IDs are given); a finished clip is left alone."""
    records = [deps.records.get(v) for v in video_ids] if video_ids else list(deps.records.with_status(FAILED))
    outcomes = []
    for record in records:
        if record is None:
            continue
        camera = deps.cameras.get(record["camera_id"])
        if camera is None:
            continue
        outcomes.append(process_recorded(deps, record["video_id"], camera, allow_from=(FAILED, RECEIVED)))
    return outcomes


def describe(outcome: ClipOutcome) -> dict[str, Any]:
    return {k: v for k, v in outcome.__dict__.items() if k != "metrics" and v not in (None, "")}

