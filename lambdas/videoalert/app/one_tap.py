"""One-tap feedback and the review page, for people without AWS credentials: a signed link is the permission.

A label link (video + label, single use) labels through apply_feedback, as `videoalert feedback` does, memory
update included. A review link (camera, reusable until it expires) shows the camera's recent events, each with
fresh label links of its own. Every refusal is logged with its reason, never with the token.
"""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from videoalert.app.feedback import FeedbackRequest, FeedbackResult, NotLabellable, VideoNotFound, apply_feedback
from videoalert.app.links import MEDIA_LINK_TTL, LinkSigner
from videoalert.app.ports import Cameras, Clips, Memory, SigningKeys, SpentTokens, Videos
from videoalert.domain.camera import CameraConfig
from videoalert.domain.ids import frame_key
from videoalert.domain.link_token import LABEL_ACTIONS, Action, LinkClaims, TokenRefused, verify
from videoalert.domain.records import VideoRecord
from videoalert.domain.review import select
from videoalert.domain.types import Label, Status

logger = logging.getLogger(__name__)
REVIEW_EVENTS = 30  # the newest decided clips the page shows


@dataclass(frozen=True)
class LinkDependencies:
    records: Videos
    cameras: Cameras
    memory: Memory
    spent: SpentTokens
    keys: SigningKeys
    clips: Clips
    review_band: float = 0.15


def _refused(exc: TokenRefused, subject: str, what: str) -> TokenRefused:
    logger.warning("link refused", extra={"reason": exc.reason, "subject": subject, "link": what})
    return exc


def check_label_link(video_id: str, token: str, *, keys: SigningKeys, now: datetime) -> LinkClaims:
    """The claims of a label link that is good for this video (not spent here: the confirmation page)."""
    try:
        return verify(token, keys.all(), now=now, subject=video_id, actions=LABEL_ACTIONS)
    except TokenRefused as exc:
        raise _refused(exc, video_id, "label") from None


def label_by_link(video_id: str, token: str, deps: LinkDependencies, *, now: datetime) -> FeedbackResult:
    """Verify the link, spend it (a conditional write: a replay is refused), then label as the CLI does.

    The record is checked first, so a link to a clip that cannot be labelled yet is not spent by trying."""
    claims = check_label_link(video_id, token, keys=deps.keys, now=now)
    record = deps.records.get(video_id)
    if record is None:
        raise VideoNotFound(f"no video {video_id!r}")
    if record.status != Status.DONE or not record.decision:
        raise NotLabellable(f"video {video_id} has no decision to label (status {record.status})")
    if not deps.spent.spend(claims.token_id, subject=video_id, action=claims.action.value,
                            expires_at=claims.expires_at, now=now):
        raise _refused(TokenRefused("REPLAYED", "this link was used already"), video_id, "label")
    result = apply_feedback(FeedbackRequest(video_id, Label(claims.action.value)), records=deps.records,
                            cameras=deps.cameras, memory=deps.memory, who=f"link:{claims.token_id}", now=now)
    logger.info("labelled by link", extra={"video_id": video_id, "label": result.label.value,
                                           "changed": result.changed, "memory_added": result.memory_added,
                                           "memory_removed": result.memory_removed})
    return result


@dataclass(frozen=True)
class ReviewEvent:
    record: VideoRecord
    frame_url: str | None
    clip_url: str | None
    false_positive_token: str  # single-use label tokens for the page's buttons (a form POST)
    true_positive_token: str
    sampled_why: str | None  # "suppressed" / "near_threshold": in the review sampler's sample


@dataclass(frozen=True)
class ReviewPage:
    camera: CameraConfig
    events: list[ReviewEvent]
    review_token: str
    links_until: datetime


def review_page(camera_id: str, token: str, deps: LinkDependencies, *, now: datetime,
                limit: int = REVIEW_EVENTS) -> ReviewPage:
    """The camera's newest decided clips with fresh links (a reusable review link; label links are single-use)."""
    try:
        verify(token, deps.keys.all(), now=now, subject=camera_id, actions=(Action.REVIEW,))
    except TokenRefused as exc:
        raise _refused(exc, camera_id, "review") from None
    camera = deps.cameras.get(camera_id)
    if camera is None:
        raise VideoNotFound(f"no camera {camera_id!r}")
    decided = list(itertools.islice(
        (r for r in deps.records.by_camera(camera_id) if r.status == Status.DONE and r.decision), limit))
    sampled = {s.record.video_id: s.why for s in select(decided, band=deps.review_band)}
    signer = LinkSigner(keys=deps.keys, base_url="")  # relative: the page's own endpoint
    ttl_s = int(MEDIA_LINK_TTL.total_seconds())
    events = []
    for record in decided:
        frame = frame_key(record.camera_id, record.window_start, record.video_id)
        events.append(ReviewEvent(
            record=record,
            frame_url=deps.clips.link(frame, ttl_s) if deps.clips.exists(frame) else None,
            clip_url=deps.clips.link(record.s3_key, ttl_s) if record.s3_key else None,
            false_positive_token=signer.token(record.video_id, Action.FALSE_POSITIVE, now, signer.feedback_ttl),
            true_positive_token=signer.token(record.video_id, Action.TRUE_POSITIVE, now, signer.feedback_ttl),
            sampled_why=sampled.get(record.video_id)))
    return ReviewPage(camera=camera, events=events, review_token=token,
                      links_until=now + timedelta(seconds=ttl_s))
