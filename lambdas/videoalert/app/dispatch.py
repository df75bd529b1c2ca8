"""Dispatch: cut a camera's due windows or take an upload, record it, score it, decide, alert once."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from videoalert.app.links import LinkSigner, compose_alert, store_best_frame
from videoalert.app.log_context import clip_context
from videoalert.app.ports import (
    Alerts,
    Cameras,
    Clips,
    ClipSource,
    Inference,
    Jobs,
    Memory,
    SegmentJobs,
    Videos,
)
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.domain.camera import CameraConfig
from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.errors import InferenceFailed, LeaseLost, MediaUnreadable
from videoalert.domain.gates import Gated, gate
from videoalert.domain.ids import (
    WINDOW,
    Window,
    camera_from_upload_key,
    due_windows,
    iso,
    stream_video_id,
    upload_video_id,
    upload_window_id,
    upload_windows,
    utc,
    video_key,
)
from videoalert.domain.records import Decided, VideoRecord
from videoalert.domain.rule import Verdict, decide_frames
from videoalert.domain.timings import reconcile
from videoalert.domain.types import TERMINAL_STATUSES, Decision, Source, Status
from videoalert_contract.inference import FrameScore, InferenceRequest, RejectedClip, ScoredClip
from videoalert_contract.names import is_valid_camera_id, stream_name

logger = logging.getLogger(__name__)


class Skip(StrEnum):
    """Outcomes that write no new record."""

    IDLE = "IDLE"  # no media in the window: a logged skip, no record
    DUPLICATE = "DUPLICATE"  # the event was seen before: nothing changed
    IN_PROGRESS = "IN_PROGRESS"  # another run holds the clip (its lease has not expired): not settled yet
    SKIPPED = "SKIPPED"  # the uploaded object is gone
    BUSY = "BUSY"  # another worker holds the camera's lease: its job, or the next tick's, takes these windows


class AlertNotSent(Exception):
    """The SNS publish failed after the client's retries; the claim is released so a retry can send it."""


@dataclass
class Dependencies:
    settings: DispatcherSettings
    records: Videos
    cameras: Cameras
    clips: Clips
    inference: Inference
    alerts: Alerts
    clip_source: ClipSource | None = None
    max_catchup: timedelta = timedelta(hours=24)
    memory: Memory | None = None  # the false-positive memory; None turns suppression off
    jobs: Jobs | None = None  # the per-camera job queue; None: a scheduled run walks the cameras itself (in line)
    segment_jobs: SegmentJobs | None = None  # where each camera's next segment job waits; None: no segment chain
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    links: LinkSigner | None = None  # signs the alert's one-tap feedback links; None: the alert has none


@dataclass
class ClipOutcome:
    video_id: str | None
    camera_id: str | None
    status: Status | Skip
    decision: Decision | None = None
    reason: str = ""
    alert_message_id: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        """True when the window may be left behind: recorded for good (DONE, REJECTED, or FAILED for a redrive), or
        idle. A clip another run still holds is not settled: the cursor waits for it (recovery finishes it if that
        run died)."""
        return self.status in TERMINAL_STATUSES | {Status.FAILED, Skip.IDLE, Skip.DUPLICATE}


# ---------------------------------------------------------------------------------------------- uploads

def process_upload(deps: Dependencies, bucket: str, raw_key: str, *, etag: str | None = None,
                   version_id: str | None = None) -> ClipOutcome:
    """Record and score the object version the event is about: the one it names, else the latest with its ETag
    (a later upload to the same key is another version, and another clip)."""
    camera_id, key = camera_from_upload_key(raw_key)
    if version_id:
        head = deps.clips.head(bucket, key, version_id=version_id)
    elif etag:
        head = deps.clips.find_version(bucket, key, etag)
    else:  # an event without either (never from S3 itself): the current object
        head = deps.clips.head(bucket, key)
    if head is None:
        logger.warning("uploaded object %s/%s (version %s, etag %s) is gone; nothing to do", bucket, key, version_id,
                       etag)
        return ClipOutcome(None, camera_id, Skip.SKIPPED, reason="OBJECT_GONE")
    # Same content at the same key is the same clip (a replayed event, or the same file uploaded twice).
    video_id = upload_video_id(camera_id, bucket, key, head.etag)
    window_start = utc(head.last_modified).replace(microsecond=0)
    # The first window of the upload; once its scoring tells the clip's length, the others are recorded too.
    new = VideoRecord(video_id=video_id, camera_id=camera_id, source=Source.UPLOAD, upload_key=key,
                      upload_version_id=head.version_id, window_start=window_start, window_end=window_start + WINDOW,
                      size_bytes=head.size_bytes, status=Status.RECEIVED, window_index=0, clip_start_s=0.0,
                      clip_end_s=WINDOW.total_seconds())

    camera = deps.cameras.get(camera_id) if is_valid_camera_id(camera_id) else None
    if camera is None:
        return _reject_new(deps, new, "UNKNOWN_CAMERA", f"camera {camera_id!r} is not registered")
    if head.size_bytes == 0:
        return _reject_new(deps, new, "EMPTY_VIDEO", "the uploaded file is empty (0 bytes)")
    if head.size_bytes > deps.settings.max_video_bytes:
        return _reject_new(deps, new, "TOO_LARGE",
                           f"{head.size_bytes} bytes is over the {deps.settings.max_video_bytes} byte limit")

    s3_key = video_key(camera_id, window_start, video_id)
    if deps.records.get(video_id) is None:
        deps.clips.copy_in(bucket, key, s3_key, video_id=video_id, camera_id=camera_id, version_id=head.version_id)
        _create(deps, replace(new, s3_bucket=deps.clips.bucket, s3_key=s3_key, more_keys=()))
    return process_recorded(deps, video_id, camera)


def take_upload(deps: Dependencies, bucket: str, raw_key: str, *, etag: str | None = None,
                version_id: str | None = None) -> list[ClipOutcome]:
    """An uploaded object, whole: its first window (process_upload), then its further windows, as many as one run
    takes (max_windows_per_run); the scheduled runs' recovery finishes the rest, in order."""
    first = process_upload(deps, bucket, raw_key, etag=etag, version_id=version_id)
    outcomes = [first]
    record = deps.records.get(first.video_id) if first.video_id else None
    if record is None or (record.windows_total or 1) <= 1:
        return outcomes
    camera = deps.cameras.get(record.camera_id)
    if camera is None:
        return outcomes
    for index in range(1, min(record.windows_total or 1, deps.settings.max_windows_per_run + 1)):
        outcomes.append(process_recorded(deps, upload_window_id(record.video_id, index), camera))
    return outcomes


def _create(deps: Dependencies, record: VideoRecord, due_in: timedelta | None = None) -> bool:
    return deps.records.create(record, retain_for=timedelta(days=deps.settings.retention_days), due_in=due_in)


def _record_upload_windows(deps: Dependencies, first: VideoRecord, count: int) -> None:
    """Record windows 1..count-1 of a long upload (idempotent: a rerun finds them recorded). Each is due a second
    after the one before it, so recovery takes them in order (the cooldown joins an event across them)."""
    step = WINDOW.total_seconds()
    for index in range(1, count):
        _create(deps, replace(
            first, video_id=upload_window_id(first.video_id, index), status=Status.RECEIVED, window_index=index,
            clip_start_s=index * step, clip_end_s=None if index == count - 1 else (index + 1) * step,
            upload_of=first.video_id, window_start=first.window_start + index * WINDOW,
            window_end=first.window_start + (index + 1) * WINDOW, attempts=None, lease_until=None, due_at=None,
            windows_total=None, created_at=None, updated_at=None, expires_at=None,
        ), due_in=timedelta(seconds=index))


def _reject_new(deps: Dependencies, new: VideoRecord, code: str, message: str) -> ClipOutcome:
    created = _create(deps, replace(new, status=Status.REJECTED, reason=code, reason_detail=message))
    logger.warning("rejected %s: %s (%s)", new.video_id, code, message)
    return ClipOutcome(new.video_id, new.camera_id, Status.REJECTED if created else Skip.DUPLICATE, reason=code,
                       metrics={"ClipsReceived": 1, "ClipsRejected": 1} if created else {})


# ---------------------------------------------------------------------------------------------- windows

def run_schedule(deps: Dependencies, now: datetime) -> list[ClipOutcome]:
    """Recover every camera's overdue open records, then process the due windows of every enabled camera; one
    camera's trouble does not stop the others."""
    outcomes: list[ClipOutcome] = []
    for camera in deps.cameras.all_cameras():
        outcomes.extend(tick_camera(deps, camera, now))
    return outcomes


def tick_camera(deps: Dependencies, camera: CameraConfig, now: datetime) -> list[ClipOutcome]:
    """One camera's share of a tick: recover its overdue open records, then cut its due windows (if enabled). Its
    trouble is logged and counted, never raised: the cursor stays and the next tick retries."""
    try:
        outcomes = recover_camera(deps, camera)
        if camera.enabled:
            outcomes.extend(run_camera(deps, camera, now))
        return outcomes
    except Exception as exc:
        logger.exception("camera %s: run stopped, the cursor stays for the next run", camera.camera_id)
        return [ClipOutcome(None, camera.camera_id, Status.FAILED, reason=f"{type(exc).__name__}: {exc}",
                            metrics={"CameraRunErrors": 1})]


def run_camera(deps: Dependencies, camera: CameraConfig, now: datetime) -> list[ClipOutcome]:
    s = deps.settings
    # Whatever time the tick or job names, the cursor never passes the clock: a future minute has no media yet.
    now = min(utc(now), utc(deps.clock()))
    cursor = camera.cursor
    # Segments first (issue 32): the minutes not yet settled are scored as far as their fragments have settled, and
    # alert as soon as the rule's evidence is met; the settled ones are completed (or cut whole) below.
    from videoalert.app import segments

    outcomes = segments.score_new(deps, camera, now)
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
    existing = deps.records.get(video_id)
    if existing is not None and existing.status == Status.OPEN:  # scored segment by segment: complete it
        from videoalert.app import segments

        return segments.complete(deps, camera, window, existing)
    if existing is not None:
        return process_recorded(deps, video_id, camera)
    if deps.clip_source is None:
        raise RuntimeError("no clip source configured for stream windows")
    new = VideoRecord(video_id=video_id, camera_id=camera.camera_id, source=Source.STREAM,
                      window_start=window.start, window_end=window.end, status=Status.RECEIVED)
    try:
        parts = deps.clip_source.fetch_clip(stream_name(camera.camera_id), window.start, window.end)
    except MediaUnreadable as exc:
        # KVS cannot package this minute (codec or frame errors): retrying gives the same answer.
        return _reject_new(deps, new, "MEDIA_UNREADABLE", str(exc)[:1000])
    if not parts:
        logger.info("camera %s: no media in %s..%s, skipping", camera.camera_id, iso(window.start), iso(window.end))
        return ClipOutcome(video_id, camera.camera_id, Skip.IDLE, metrics={"IdleWindows": 1})
    size = sum(len(p) for p in parts)
    # The clip's timeline starts at its first fragment (aws.kvs.ClipParts), later than the window when the stream
    # started mid-minute: frame times count from there.
    starts_at = getattr(parts, "starts_at", None)
    new = replace(new, size_bytes=size, parts=len(parts),
                  clip_starts_at=starts_at if isinstance(starts_at, datetime) and starts_at > window.start else None)
    if size > deps.settings.max_video_bytes:
        return _reject_new(deps, new, "TOO_LARGE",
                           f"{size} bytes is over the {deps.settings.max_video_bytes} byte limit")
    keys = [video_key(camera.camera_id, window.start, video_id, part=i + 1) for i in range(len(parts))]
    for key, data in zip(keys, parts, strict=True):
        deps.clips.put(key, data, video_id=video_id, camera_id=camera.camera_id)
    _create(deps, replace(new, s3_bucket=deps.clips.bucket, s3_key=keys[0], more_keys=tuple(keys[1:])))
    return process_recorded(deps, video_id, camera)


# ---------------------------------------------------------------------------------------------- scoring


def process_recorded(
    deps: Dependencies, video_id: str, camera: CameraConfig, allow_from: tuple[Status, ...] = (Status.RECEIVED,)
) -> ClipOutcome:
    """Score and decide a recorded clip once; a replay finds it taken or finished and changes nothing."""
    with clip_context(video_id=video_id, camera_id=camera.camera_id):
        return _process_recorded(deps, video_id, camera, allow_from)


def _process_recorded(
    deps: Dependencies, video_id: str, camera: CameraConfig, allow_from: tuple[Status, ...]
) -> ClipOutcome:
    record = deps.records.claim(video_id, allow_from=allow_from)
    if record is None:
        current = deps.records.get(video_id)
        if current is not None and current.status == Status.DONE and current.decision == Decision.ALERT:
            return _ensure_alert(deps, current, duplicate=True)
        if current is not None and current.status in (Status.RECEIVED, Status.PROCESSING):
            return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS,
                               reason=f"held by another run until {current.lease_until}")
        return ClipOutcome(
            video_id,
            camera.camera_id,
            Skip.DUPLICATE,
            decision=current.decision if current else None,
            reason=f"already {current.status if current else None}",
        )
    try:
        return _score_claimed(deps, record, camera)
    except LeaseLost as exc:
        # This run outlived its lease and another run took the clip over: that run's result is the one kept.
        logger.warning("video %s: %s", video_id, exc)
        return ClipOutcome(video_id, camera.camera_id, Skip.IN_PROGRESS, reason="lease lost to another run")


def _score_claimed(deps: Dependencies, record: VideoRecord, camera: CameraConfig) -> ClipOutcome:
    video_id, attempt = record.video_id, record.attempts
    keys = record.keys
    request = InferenceRequest(
        video_id=video_id,
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
    )
    try:
        result = deps.inference.score(request)
    except InferenceFailed as exc:
        deps.records.finish_failed(video_id, "INFERENCE_FAILED", str(exc)[:1000], attempt=attempt)
        logger.error("video %s: inference failed: %s", video_id, exc)
        return ClipOutcome(
            video_id,
            camera.camera_id,
            Status.FAILED,
            reason="INFERENCE_FAILED",
            metrics={"ClipsReceived": 1, "ClipsFailed": 1},
        )
    if isinstance(result, RejectedClip):
        deps.records.finish_rejected(video_id, result.code, result.message[:1000], attempt=attempt)
        logger.warning("video %s: rejected by inference: %s %s", video_id, result.code, result.message)
        return ClipOutcome(
            video_id,
            camera.camera_id,
            Status.REJECTED,
            reason=result.code,
            metrics={"ClipsReceived": 1, "ClipsRejected": 1},
        )
    windows = None
    if record.window_index == 0 and record.upload_of is None and record.clip_end_s is not None:
        # The first window of an upload: the answer tells the whole clip's length, and so its windows.
        duration = (result.video or {}).get("duration_s")
        windows = upload_windows(float(duration) if isinstance(duration, (int, float)) else None)
        if windows > deps.settings.max_upload_minutes:
            detail = (f"the upload is {float(duration or 0):.0f} s long, over the {deps.settings.max_upload_minutes}"
                      f"-minute limit")
            deps.records.finish_rejected(video_id, "TOO_LONG", detail, attempt=attempt)
            logger.warning("video %s: rejected: %s", video_id, detail)
            return ClipOutcome(video_id, camera.camera_id, Status.REJECTED, reason="TOO_LONG",
                               metrics={"ClipsReceived": 1, "ClipsRejected": 1})
        # Recorded before this window is finished: a crash in between redoes this window, never loses the others.
        _record_upload_windows(deps, record, windows)
    return _decide(deps, record, camera, result, windows)


def _decide(deps: Dependencies, record: VideoRecord, camera: CameraConfig, result: ScoredClip,
            windows_total: int | None = None) -> ClipOutcome:
    rule = camera.rule
    verdict = decide_frames(result.frames, rule, result.threshold)
    top_embeddings = tuple(FrameEmbedding.from_top(e) for e in result.top_embeddings)
    gated = _gate(deps, record, camera, verdict, top_embeddings, result.frames)
    if verdict.decision == Decision.ALERT and result.best_frame is not None:
        store_best_frame(deps.clips, record, result.best_frame.jpeg)  # before the decision: an alert finds it
    decided = Decided(
        decision=gated.decision,
        rule_decision=verdict.decision,
        decision_reason="; ".join(r for r in (gated.reason, verdict.reason) if r),
        threshold=verdict.threshold,
        model_threshold=result.threshold,
        region=verdict.region,
        max_score=verdict.max_score,
        deciding_score=verdict.deciding_score,
        frames_over_threshold=verdict.frames_over_threshold,
        rule=rule,
        model_version=result.model_version,
        frame_scores=tuple(FrameScore(round(f.t, 3), round(f.score, 5), f.region, f.box) for f in result.frames),
        top_embeddings=top_embeddings,
        video_info=result.video,
        timings_ms=reconcile(result.timings_ms),
        suppressed_by=gated.suppressed_by,
        cooldown_of=gated.cooldown_of,
        event_start=gated.event_start,
        windows_total=windows_total,
    )
    finished = deps.records.finish_done(record.video_id, decided, attempt=record.attempts)
    timings = result.timings_ms or {}
    metrics = {
        "ClipsReceived": 1,
        "ClipsProcessed": 1,
        "Frames": len(result.frames),
        "DecodeMs": float(timings.get("decode", 0.0)),
        "InferenceMs": float(timings.get("inference", 0.0)),
    }
    if gated.decision == Decision.SUPPRESSED:
        metrics["Suppressed"] = 1
    elif gated.decision == Decision.COOLDOWN:
        metrics["Cooldowns"] = 1
    if gated.decision != Decision.ALERT:
        return ClipOutcome(
            record.video_id,
            camera.camera_id,
            Status.DONE,
            decision=gated.decision,
            reason=decided.decision_reason,
            metrics=metrics,
        )
    outcome = _ensure_alert(deps, finished, duplicate=False)
    outcome.metrics = {**metrics, **outcome.metrics}
    return outcome


def _gate(
    deps: Dependencies,
    record: VideoRecord,
    camera: CameraConfig,
    verdict: Verdict,
    top_embeddings: tuple[FrameEmbedding, ...],
    frames: tuple[FrameScore, ...] = (),
) -> Gated:
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
    return gate(
        verdict,
        rule,
        window_start=window_start,
        series=record.series,
        embeddings=top_embeddings,
        memory=memory,
        previous=previous,
        video_id=record.video_id,
        frames=frames,
    )


def _ensure_alert(deps: Dependencies, record: VideoRecord, *, duplicate: bool) -> ClipOutcome:
    """Publish the alert of an ALERT record unless it was sent (or another live run is sending it): claim, publish,
    mark sent. A crash in between leaves the record due, and recovery publishes it (at least once, same dedup key)."""
    video_id, camera_id = record.video_id, record.camera_id
    if record.alert_message_id:
        return ClipOutcome(video_id, camera_id, Skip.DUPLICATE if duplicate else Status.DONE, decision=Decision.ALERT,
                           alert_message_id=record.alert_message_id, reason="alert already sent")
    if not deps.records.claim_alert(video_id):
        # Another run holds a fresh claim on it (or has just sent it): not settled until it is marked sent.
        return ClipOutcome(video_id, camera_id, Skip.IN_PROGRESS, decision=Decision.ALERT,
                           reason="alert being sent by another run")
    try:
        message_id = deps.alerts.publish(compose_alert(record, clips=deps.clips, signer=deps.links))
    except Exception as exc:
        deps.records.release_alert(video_id)
        raise AlertNotSent(f"video {video_id}: SNS publish failed: {exc}") from exc
    if not deps.records.record_alert(video_id, message_id):
        logger.warning("video %s: alert %s published, but another run had marked its own first", video_id, message_id)
    logger.info("video %s: alert %s published", video_id, message_id)
    return ClipOutcome(
        video_id, camera_id, Status.DONE, decision=Decision.ALERT, alert_message_id=message_id, metrics={"Alerts": 1}
    )


# ---------------------------------------------------------------------------------------------- redrive


def redrive(deps: Dependencies, video_ids: tuple[str, ...] = ()) -> list[ClipOutcome]:
    """Score the given clips again if FAILED, never claimed, or left by a dead run (expired lease); without IDs,
    every FAILED clip and every camera's overdue open record. A finished clip, or one a live run holds, is left
    alone."""
    records = [deps.records.get(v) for v in video_ids] if video_ids else list(deps.records.with_status(Status.FAILED))
    outcomes = []
    for record in records:
        if record is None:
            continue
        camera = deps.cameras.get(record.camera_id)
        if camera is None:
            continue
        outcomes.append(process_recorded(deps, record.video_id, camera, allow_from=(Status.FAILED, Status.RECEIVED)))
    if not video_ids:
        for camera in deps.cameras.all_cameras():
            outcomes.extend(recover_camera(deps, camera))
    return outcomes


# ---------------------------------------------------------------------------------------------- recovery


def recover_camera(deps: Dependencies, camera: CameraConfig) -> list[ClipOutcome]:
    """Finish the camera's open records whose due time has passed: a clip never claimed (its run died after
    recording it), one whose lease expired (its run died or timed out while processing it), an alert decided but
    not marked sent (its run died before or after publishing)."""
    outcomes = []
    due = [deps.records.get(v) for v in deps.records.due(camera.camera_id, limit=deps.settings.recover_per_run)]
    # In time order: an event's windows in the order the cooldown reads them.
    for record in sorted((r for r in due if r is not None), key=lambda r: (r.window_start, r.video_id)):
        video_id = record.video_id
        with clip_context(video_id=video_id, camera_id=camera.camera_id):
            outcome = _recover(deps, record, camera)
        # Another run got there first (it holds or finished the record): nothing recovered here.
        if outcome is not None and outcome.status not in (Skip.IN_PROGRESS, Skip.DUPLICATE):
            outcome.metrics["Recovered"] = 1
            outcomes.append(outcome)
    return outcomes


def _recover(deps: Dependencies, record: VideoRecord, camera: CameraConfig) -> ClipOutcome | None:
    video_id = record.video_id
    if record.status == Status.PROCESSING:
        if not deps.records.lease_expired(record):
            return None
        attempts = record.attempts or 0
        if attempts >= deps.settings.max_attempts:
            detail = f"the run processing it stopped before finishing, {attempts} time(s); not retried again"
            if not deps.records.expire_lease(video_id, attempt=attempts, reason="LEASE_EXPIRED", detail=detail):
                return None
            logger.error("video %s: %s", video_id, detail)
            return ClipOutcome(video_id, camera.camera_id, Status.FAILED, reason="LEASE_EXPIRED",
                               metrics={"ClipsFailed": 1})
        logger.warning("video %s: lease of attempt %d expired at %s; taking it over", video_id, attempts,
                       record.lease_until)
        return _process_recorded(deps, video_id, camera, (Status.RECEIVED,))
    if record.status == Status.RECEIVED:
        logger.warning("video %s: recorded but never claimed; processing it", video_id)
        return _process_recorded(deps, video_id, camera, (Status.RECEIVED,))
    if (record.status in (Status.DONE, Status.OPEN) and record.decision == Decision.ALERT
            and not record.alert_message_id):
        logger.warning("video %s: alert decided but not marked sent; publishing it", video_id)
        return _ensure_alert(deps, record, duplicate=False)
    return None


def describe(outcome: ClipOutcome) -> dict[str, Any]:
    """The outcome as the handler logs and returns it (plain JSON values)."""
    return {
        k: str(v) if isinstance(v, StrEnum) else v
        for k, v in outcome.__dict__.items()
        if k != "metrics" and v not in (None, "")
    }
