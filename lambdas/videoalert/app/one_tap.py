"""One-tap feedback and the review page, for people without AWS credentials: a signed link is the permission.

A label link (video + label, single use) labels through apply_feedback, as `videoalert feedback` does, memory
update included; an undo link takes the label away. A review link (a camera, or every camera; reusable until it
expires) shows events newest first, paged and filtered, each with fresh single-use links of its own.
Every refusal is logged with its reason, never with the token.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from videoalert.app.events import find_event, list_events
from videoalert.app.feedback import (
    Cleared,
    FeedbackRequest,
    FeedbackResult,
    NotLabellable,
    VideoNotFound,
    apply_feedback,
    clear_feedback,
)
from videoalert.app.links import MEDIA_LINK_TTL, LinkSigner
from videoalert.app.ports import Cameras, Clips, Memory, SigningKeys, SpentTokens, Videos
from videoalert.domain.camera import CameraConfig
from videoalert.domain.events import Event, EventFilter
from videoalert.domain.ids import frame_key
from videoalert.domain.link_token import LABEL_ACTIONS, Action, LinkClaims, TokenRefused, verify
from videoalert.domain.push import Subscription
from videoalert.domain.records import VideoRecord
from videoalert.domain.review import select
from videoalert.domain.types import Decision, Label

logger = logging.getLogger(__name__)


class PushStore(Protocol):
    """store.push_subscriptions.PushSubscriptions."""

    def add(self, scope: str, subscription: Subscription, now: datetime) -> int: ...
    def remove(self, scope: str, subscription_id: str) -> None: ...


class VapidPublic(Protocol):
    @property
    def public_key(self) -> str: ...


class VapidKeys(Protocol):
    """aws.webpush.VapidSecret: the key, None until one was put in the secret."""

    def key(self) -> VapidPublic | None: ...


REVIEW_EVENTS = 20  # events per page of the review page


@dataclass(frozen=True)
class LinkDependencies:
    records: Videos
    cameras: Cameras
    memory: Memory
    spent: SpentTokens
    keys: SigningKeys
    clips: Clips
    review_band: float = 0.15
    push: PushStore | None = None  # Web Push subscriptions (None: the page offers no notifications)
    vapid: VapidKeys | None = None
    push_loopback: bool = False  # the local run: a push stand-in on this machine is a push service too


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
    if not record.labellable:
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


def undo_by_link(video_id: str, token: str, deps: LinkDependencies, *, now: datetime) -> Cleared:
    """Verify an undo link, spend it, and take the video's label away (clear_feedback)."""
    try:
        claims = verify(token, deps.keys.all(), now=now, subject=video_id, actions=(Action.CLEAR,))
    except TokenRefused as exc:
        raise _refused(exc, video_id, "undo") from None
    if not deps.spent.spend(claims.token_id, subject=video_id, action=claims.action.value,
                            expires_at=claims.expires_at, now=now):
        raise _refused(TokenRefused("REPLAYED", "this link was used already"), video_id, "undo")
    cleared = clear_feedback(video_id, records=deps.records, memory=deps.memory, who=f"link:{claims.token_id}",
                             now=now)
    logger.info("label undone by link", extra={"video_id": video_id, "memory_removed": cleared.memory_removed,
                                               "previous": str(cleared.previous_label)})
    return cleared


ALL_CAMERAS = "*"  # a review link for every camera (not a camera id: ids start with a letter or digit)
LABELLABLE = frozenset({Decision.ALERT, Decision.COOLDOWN, Decision.SUPPRESSED})  # the rule saw a person: a label
# says whether it was one. A NO_ALERT claimed nothing, so "not a person" means nothing there.


@dataclass(frozen=True)
class ReviewQuery:
    """The review page's filters and page, as its form sends them (already validated)."""

    camera: str | None = None  # one camera of an every-camera link
    decision: Decision | None = None
    label: str | None = None  # a Label value or domain.events.UNLABELLED
    day: date | None = None  # a UTC day
    page: int = 0

    def keep(self) -> EventFilter:
        since = None if self.day is None else datetime.combine(self.day, time(0), tzinfo=UTC)
        return EventFilter(decisions=None if self.decision is None else frozenset({self.decision}),
                           label=self.label, since=since, until=None if since is None else since + timedelta(days=1))


@dataclass(frozen=True)
class ReviewEvent:
    event: Event
    frame_url: str | None  # the best minute's frame (the person's box drawn), presigned
    clip_url: str | None  # the best minute's clip, presigned
    false_positive_token: str | None  # single-use label tokens for the buttons (a form POST); None: no buttons
    true_positive_token: str | None
    clear_token: str | None  # the undo of the event's label (single use)
    sampled_why: str | None  # "suppressed" / "near_threshold": in the review sampler's sample

    @property
    def record(self) -> VideoRecord:
        """The minute labels go to (the alert's)."""
        return self.event.head


@dataclass(frozen=True)
class ReviewPage:
    scope: str  # the camera the link is for, or ALL_CAMERAS
    cameras: tuple[CameraConfig, ...]  # the cameras shown
    events: list[ReviewEvent]
    review_token: str
    links_until: datetime
    query: ReviewQuery = field(default_factory=ReviewQuery)
    more: bool = False
    all_camera_ids: tuple[str, ...] = ()  # every camera a filter may choose (an every-camera link)
    push: bool = False  # the page offers notifications (Web Push is set up on this stack)


def _scope(token: str, scope: str, deps: LinkDependencies, now: datetime) -> None:
    try:
        verify(token, deps.keys.all(), now=now, subject=scope, actions=(Action.REVIEW,))
    except TokenRefused as exc:
        raise _refused(exc, scope, "review") from None


def _review_event(event: Event, deps: LinkDependencies, signer: LinkSigner, now: datetime,
                  sampled: dict[str, str]) -> ReviewEvent:
    ttl_s = int(MEDIA_LINK_TTL.total_seconds())
    best, head = event.best, event.head
    frame = frame_key(best.camera_id, best.window_start, best.video_id)
    labellable = head.decision in LABELLABLE and head.label is None

    def token(action: Action) -> str:
        return signer.token(head.video_id, action, now, signer.feedback_ttl)

    return ReviewEvent(
        event=event,
        frame_url=deps.clips.link(frame, ttl_s) if deps.clips.exists(frame) else None,
        clip_url=deps.clips.link(best.s3_key, ttl_s) if best.s3_key else None,
        false_positive_token=token(Action.FALSE_POSITIVE) if labellable else None,
        true_positive_token=token(Action.TRUE_POSITIVE) if labellable else None,
        clear_token=token(Action.CLEAR) if head.label is not None else None,
        sampled_why=next((sampled[m.video_id] for m in event.minutes if m.video_id in sampled), None))


def review_page(scope: str, token: str, deps: LinkDependencies, *, now: datetime,
                query: ReviewQuery | None = None, limit: int | None = None) -> ReviewPage:
    """A page of events, newest first, with fresh links (a reusable review link; label links are single-use): the
    camera's, or every camera's for an every-camera link (scope ALL_CAMERAS, filtered by query.camera)."""
    query = query or ReviewQuery()
    _scope(token, scope, deps, now)
    every = tuple(sorted(deps.cameras.camera_ids())) if scope == ALL_CAMERAS else ()
    ids = ([query.camera] if query.camera in every else list(every)) if scope == ALL_CAMERAS else [scope]
    cameras = tuple(c for c in (deps.cameras.get(i) for i in sorted(ids)) if c is not None)
    if scope != ALL_CAMERAS and not cameras:
        raise VideoNotFound(f"no camera {scope!r}")
    page = list_events(deps.records, [c.camera_id for c in cameras], query.keep(), page=query.page,
                       size=limit or REVIEW_EVENTS)
    minutes = [m for e in page.events for m in e.minutes]
    sampled = {s.record.video_id: s.why for s in select(minutes, band=deps.review_band)}
    signer = LinkSigner(keys=deps.keys, base_url="")  # relative: the page's own endpoint
    events = [_review_event(e, deps, signer, now, sampled) for e in page.events]
    return ReviewPage(scope=scope, cameras=cameras, events=events, review_token=token,
                      links_until=now + MEDIA_LINK_TTL, query=query, more=page.more, all_camera_ids=every,
                      push=deps.push is not None and deps.vapid is not None)


def event_page(video_id: str, scope: str, token: str, deps: LinkDependencies, *, now: datetime) -> ReviewEvent:
    """One event (by any of its minutes) with its links, for a review link of its camera or of every camera."""
    _scope(token, scope, deps, now)
    event = find_event(deps.records, video_id)
    if event is None or scope not in (ALL_CAMERAS, event.camera_id):
        raise VideoNotFound(f"no event of {video_id!r} here")
    sampled = {s.record.video_id: s.why for s in select(event.minutes, band=deps.review_band)}
    return _review_event(event, deps, LinkSigner(keys=deps.keys, base_url=""), now, sampled)


class PushUnavailable(Exception):
    """Web Push is not set up on this stack (no table), or its VAPID key is not made yet."""


def push_public_key(deps: LinkDependencies) -> str:
    """The VAPID public key the page subscribes with (not a secret: every subscription carries it)."""
    key = deps.vapid.key() if deps.vapid is not None else None
    if key is None:
        raise PushUnavailable("web push is not set up here")
    return key.public_key


def subscribe_push(scope: str, token: str, data: object, deps: LinkDependencies, *, now: datetime) -> Subscription:
    """Store a browser's push subscription for the review link's scope (a camera or every camera): the review link is
    the permission, as it is to see the events. BadSubscription for one no browser gives."""
    _scope(token, scope, deps, now)
    if deps.push is None or deps.vapid is None or deps.vapid.key() is None:
        raise PushUnavailable("web push is not set up here")
    subscription = Subscription.parse(data, loopback=deps.push_loopback)
    evicted = deps.push.add(scope, subscription, now)
    logger.info("push subscription stored", extra={"scope": scope, "subscription": subscription.subscription_id,
                                                   "evicted": evicted})
    return subscription


def unsubscribe_push(scope: str, token: str, data: object, deps: LinkDependencies, *, now: datetime) -> None:
    _scope(token, scope, deps, now)
    if deps.push is None:
        raise PushUnavailable("web push is not set up here")
    subscription = Subscription.parse(data, loopback=deps.push_loopback)
    deps.push.remove(scope, subscription.subscription_id)
    logger.info("push subscription removed", extra={"scope": scope, "subscription": subscription.subscription_id})
