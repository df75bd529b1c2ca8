"""Deliver an alert beyond SNS: the HTML e-mail (SES), the signed webhook and Web Push, each once per alert.

Fed the alert as SNS published it (the JSON document machine subscribers get), so every channel carries the same
links (one set of one-tap tokens per alert). A channel is marked delivered on the video's record (a conditional
write) after it succeeds: a redelivered alert skips it; a crash between sending and marking sends it again, with the
same webhook-id and Message-ID, which receivers drop as a duplicate (docs/integrations.md). Web Push is marked per
browser subscription (a retry skips the browsers that took it); a subscription the push service says is gone (404,
410) is removed.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from videoalert.app.ports import Videos
from videoalert.domain.alert_email import FRAME_CID, alert_html
from videoalert.domain.alert_message import AlertLinks
from videoalert.domain.ids import frame_key, parse_iso
from videoalert.domain.push import PushGone, Subscription, notification
from videoalert.domain.webhook import signed_headers

logger = logging.getLogger(__name__)
EMAIL, WEBHOOK, PUSH = "email", "webhook", "push"
PUSH_PARALLEL = 8


class Mailer(Protocol):
    def send(self, *, subject: str, text: str, html: str, jpeg: bytes | None, frame_cid: str,
             message_id: str | None = ...) -> str: ...


class Poster(Protocol):
    def post(self, body: bytes, headers: dict[str, str]) -> int: ...


class Frames(Protocol):
    def read(self, key: str) -> bytes | None: ...


class Marks(Protocol):
    """Which channels an alert was delivered on (store.videos.VideoRecords)."""

    def delivered(self, video_id: str) -> set[str]: ...
    def mark_delivered(self, video_id: str, channel: str, now: datetime) -> bool: ...


class Pusher(Protocol):
    """Web Push to one browser (aws.webpush.WebPushSender): raises PushGone, or another error to retry later."""

    def ready(self) -> bool: ...
    def send(self, subscription: Subscription, data: bytes, topic: str) -> int: ...


class PushSubscribers(Protocol):
    """store.push_subscriptions.PushSubscriptions."""

    def for_camera(self, camera_id: str, every: str = ...) -> list[tuple[str, Subscription]]: ...
    def remove(self, scope: str, subscription_id: str) -> None: ...


class Secret(Protocol):
    def value(self) -> str: ...


@dataclass
class DeliveryDependencies:
    records: Videos
    marks: Marks
    frames: Frames
    mailer: Mailer | None = None
    webhook: Poster | None = None
    webhook_secret: Secret | None = None
    pusher: Pusher | None = None
    push_subscribers: PushSubscribers | None = None
    clock: Any = field(default=lambda: datetime.now(UTC))


class BadAlert(ValueError):
    """The message is not an alert this stack published."""


def links_of(body: Mapping[str, Any]) -> AlertLinks | None:
    links = body.get("links")
    if not isinstance(links, Mapping) or "expires_at" not in links:
        return None
    return AlertLinks(expires_at=parse_iso(str(links["expires_at"])), clip_url=links.get("clip"),
                      frame_url=links.get("frame"), false_positive_url=links.get("not_a_person"),
                      true_positive_url=links.get("correct"), review_url=links.get("review"))


def deliver(subject: str, body: Mapping[str, Any], deps: DeliveryDependencies) -> dict[str, str]:
    """Deliver one alert on every configured channel not yet delivered; what each channel did. Raises on a failed
    channel (after the channels before it were delivered and marked): the message is retried, those are skipped."""
    video_id = body.get("video_id")
    if not isinstance(video_id, str) or not video_id:
        raise BadAlert("the alert has no video_id")
    record = deps.records.get(video_id)
    if record is None:
        raise BadAlert(f"no video {video_id!r}")
    done = deps.marks.delivered(video_id)
    outcome: dict[str, str] = {}
    if deps.mailer is not None:
        if EMAIL in done:
            outcome[EMAIL] = "already delivered"
        else:
            jpeg = deps.frames.read(frame_key(record.camera_id, record.window_start, record.video_id))
            links = links_of(body)
            deps.mailer.send(subject=subject, text=str(body.get("text") or subject),
                             html=alert_html(record, links, frame_src=f"cid:{FRAME_CID}" if jpeg else None),
                             jpeg=jpeg, frame_cid=FRAME_CID, message_id=f"<{video_id}@videoalert>")
            outcome[EMAIL] = _mark(deps, video_id, EMAIL)
    if deps.webhook is not None and deps.webhook_secret is not None:
        if WEBHOOK in done:
            outcome[WEBHOOK] = "already delivered"
        else:
            data = json.dumps({"type": "alert", "subject": subject, **body}, sort_keys=True).encode()
            deps.webhook.post(data, signed_headers(deps.webhook_secret.value(), video_id, int(time.time()), data))
            outcome[WEBHOOK] = _mark(deps, video_id, WEBHOOK)
    if deps.pusher is not None and deps.push_subscribers is not None:
        outcome[PUSH] = _push(subject, body, record.camera_id, video_id, done, deps)
    logger.info("alert delivered", extra={"video_id": video_id, **outcome})
    return outcome


def _push(subject: str, body: Mapping[str, Any], camera_id: str, video_id: str, done: set[str],
          deps: DeliveryDependencies) -> str:
    """Each subscribed browser of the camera (or of every camera) once; raises after trying them all if one failed."""
    assert deps.pusher is not None and deps.push_subscribers is not None
    if not deps.pusher.ready():
        logger.warning("web push is on, but its secret holds no VAPID key yet (videoalert webpush keys)")
        return "not set up (no VAPID key)"
    data = notification(subject, body)
    pusher, subscribers = deps.pusher, deps.push_subscribers
    browsers = subscribers.for_camera(camera_id)
    todo = [(scope, sub) for scope, sub in browsers if f"{PUSH}_{sub.subscription_id}" not in done]
    skipped = len(browsers) - len(todo)

    def one(item: tuple[str, Subscription]) -> str:
        scope, sub = item
        try:
            pusher.send(sub, data, video_id)
        except PushGone:
            subscribers.remove(scope, sub.subscription_id)
            return "gone"
        except Exception as exc:  # noqa: BLE001 - the other browsers are still tried; the alert is retried after
            return f"{sub.subscription_id[:8]}: {type(exc).__name__}: {str(exc)[:120]}"
        deps.marks.mark_delivered(video_id, f"{PUSH}_{sub.subscription_id}", deps.clock())
        return "sent"

    # A few browsers at once: each may take the sender's retries (a slow push service does not hold the others).
    with ThreadPoolExecutor(max_workers=PUSH_PARALLEL) as pool:
        results = list(pool.map(one, todo))
    sent, gone = results.count("sent"), results.count("gone")
    failed = [r for r in results if r not in ("sent", "gone")]
    if failed:
        raise PushFailedFor(f"web push failed for {len(failed)} browser(s): {'; '.join(failed)}")
    return f"delivered to {sent}" + (f", {skipped} already" if skipped else "") + (f", {gone} gone" if gone else "")


class PushFailedFor(Exception):
    """Some browsers did not get the alert: the message is retried (those that did are skipped)."""


def _mark(deps: DeliveryDependencies, video_id: str, channel: str) -> str:
    if deps.marks.mark_delivered(video_id, channel, deps.clock()):
        return "delivered"
    logger.warning("%s of %s delivered, but another run had marked it first", channel, video_id)
    return "delivered (again)"
