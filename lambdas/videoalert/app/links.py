"""Links a person opens from an alert or the review page: presigned media links and signed one-tap links."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from videoalert.app.ports import Clips, SigningKeys
from videoalert.domain.alert_message import AlertLinks, AlertMessage, build_alert
from videoalert.domain.ids import frame_key
from videoalert.domain.link_token import Action, LinkClaims, sign
from videoalert.domain.records import VideoRecord

logger = logging.getLogger(__name__)

# Presigned media links: short-lived (a day at most; a link signed with a Lambda role's temporary credentials ends
# with those credentials, which can be sooner). The review page signs fresh ones each time it is opened.
MEDIA_LINK_TTL = timedelta(hours=12)
FEEDBACK_TTL = timedelta(days=7)  # one-tap label links; each is spent on first use
REVIEW_TTL = timedelta(days=7)  # the camera's review page (read, and label with fresh links of its own)
LABEL_PATH = "/label"
REVIEW_PATH = "/review"
EVENT_PATH = "/event"
UNDO_PATH = "/undo"
MANIFEST_PATH = "/manifest.webmanifest"  # the review page as a home-screen app (Web Push)


@dataclass(frozen=True)
class LinkSigner:
    """Signs one-tap links for the public feedback endpoint at base_url."""

    keys: SigningKeys
    base_url: str
    feedback_ttl: timedelta = FEEDBACK_TTL
    review_ttl: timedelta = REVIEW_TTL

    def token(self, subject: str, action: Action, now: datetime, ttl: timedelta) -> str:
        claims = LinkClaims(token_id=secrets.token_urlsafe(12), subject=subject, action=action,
                            expires_at=int((now + ttl).timestamp()))
        return sign(claims, self.keys.current())

    def label_url(self, video_id: str, action: Action, now: datetime) -> str:
        token = self.token(video_id, action, now, self.feedback_ttl)
        return f"{self.base_url.rstrip('/')}{LABEL_PATH}?{urlencode({'v': video_id, 't': token})}"

    def review_url(self, camera_id: str, now: datetime) -> str:
        token = self.token(camera_id, Action.REVIEW, now, self.review_ttl)
        return f"{self.base_url.rstrip('/')}{REVIEW_PATH}?{urlencode({'c': camera_id, 't': token})}"


def alert_links(record: VideoRecord, *, clips: Clips, signer: LinkSigner | None, now: datetime) -> AlertLinks:
    """The alert's links: the clip and its best frame (when one was written) presigned, the one-tap links signed."""
    ttl_s = int(MEDIA_LINK_TTL.total_seconds())
    frame = frame_key(record.camera_id, record.window_start, record.video_id)
    links = AlertLinks(
        expires_at=now + MEDIA_LINK_TTL,
        clip_url=clips.link(record.s3_key, ttl_s) if record.s3_key and record.s3_bucket == clips.bucket else None,
        frame_url=clips.link(frame, ttl_s) if clips.exists(frame) else None,
    )
    if signer is None:
        return links
    return AlertLinks(
        expires_at=links.expires_at, clip_url=links.clip_url, frame_url=links.frame_url,
        false_positive_url=signer.label_url(record.video_id, Action.FALSE_POSITIVE, now),
        true_positive_url=signer.label_url(record.video_id, Action.TRUE_POSITIVE, now),
        review_url=signer.review_url(record.camera_id, now),
        feedback_expires_at=now + signer.feedback_ttl,
    )


def compose_alert(record: VideoRecord, *, clips: Clips, signer: LinkSigner | None,
                  now: datetime | None = None) -> AlertMessage:
    """The alert of a decided record, with its links."""
    return build_alert(record, alert_links(record, clips=clips, signer=signer, now=now or datetime.now(UTC)))


def store_best_frame(clips: Clips, record: VideoRecord, jpeg: bytes | None) -> str | None:
    """Write the clip's best frame once, under its video id (a retry overwrites the same key with the same frame)."""
    if not jpeg:
        return None
    key = frame_key(record.camera_id, record.window_start, record.video_id)
    clips.put_frame(key, jpeg, video_id=record.video_id, camera_id=record.camera_id)
    return key
