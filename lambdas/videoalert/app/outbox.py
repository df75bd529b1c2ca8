"""The alert outbox: an ALERT record's alert is claimed, published (SNS) and marked sent, once; a crash in between
leaves the record due, and recovery publishes it (at least once, with the same deduplication key)."""
from __future__ import annotations

import logging

from videoalert.app.dependencies import Dependencies
from videoalert.app.links import compose_alert
from videoalert.app.outcomes import ClipOutcome, Skip
from videoalert.config.worker import WorkerSettings
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Decision, Status

logger = logging.getLogger(__name__)


class AlertNotSent(Exception):
    """The SNS publish failed after the client's retries; the claim is released so a retry can send it."""


def ensure_alert(deps: Dependencies[WorkerSettings], record: VideoRecord, *, duplicate: bool) -> ClipOutcome:
    """Publish the alert of an ALERT record unless it was sent (or another live run is sending it): claim, publish,
    mark sent."""
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
