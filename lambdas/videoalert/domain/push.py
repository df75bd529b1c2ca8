"""Web Push, pure: a browser's push subscription (validated as the page posts it), its id, and the notification an
alert becomes (small: a push service takes about 4 KB of encrypted payload)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_ENDPOINT = 1024  # real endpoints (FCM, Mozilla, Apple) are 150-500 characters
MAX_PAYLOAD = 3000  # bytes of JSON before encryption; RFC 8291's aes128gcm record adds 103, services take ~4 KB
PUSH_TTL_S = 6 * 3600  # a phone offline longer than this misses the notification (the e-mail and page remain)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # http:// only to this machine: the local push stand-in
# The browsers' push services (Chrome, Edge, Firefox, Safari and the browsers built on them): the deliveries function
# POSTs to a subscription's endpoint, so an endpoint elsewhere is refused rather than called.
PUSH_SERVICES = ("fcm.googleapis.com", "android.googleapis.com", "push.services.mozilla.com", "push.apple.com",
                 "notify.windows.com")


class PushGone(Exception):
    """The push service says this subscription no longer exists (HTTP 404 or 410): it is to be removed."""


class BadSubscription(ValueError):
    """Not a push subscription a browser's PushManager gives."""


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadSubscription("keys must be base64url") from None


@dataclass(frozen=True)
class Subscription:
    """PushSubscription.toJSON(): where the push service takes messages for one browser, and its keys."""

    endpoint: str
    p256dh: str  # the browser's P-256 public key (65 bytes, uncompressed), base64url
    auth: str  # the 16-byte authentication secret, base64url

    @property
    def subscription_id(self) -> str:
        """One id per endpoint: a browser subscribing again replaces its own item."""
        return hashlib.sha256(self.endpoint.encode()).hexdigest()[:32]

    def info(self) -> dict[str, Any]:
        """As pywebpush takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    @classmethod
    def parse(cls, data: Any, *, loopback: bool = False) -> Subscription:
        """Validate what the page posts; loopback: also take an http:// endpoint on this machine (the local run)."""
        if not isinstance(data, Mapping):
            raise BadSubscription("a subscription is a JSON object")
        endpoint, keys = data.get("endpoint"), data.get("keys")
        if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT:
            raise BadSubscription(f"endpoint must be a URL of at most {MAX_ENDPOINT} characters")
        url = urlsplit(endpoint)
        host = url.hostname or ""
        local = loopback and url.scheme in ("http", "https") and host in LOOPBACK
        known = url.scheme == "https" and any(host == s or host.endswith(f".{s}") for s in PUSH_SERVICES)
        if not (local or known):
            raise BadSubscription("endpoint must be an https:// URL of a browser's push service")
        if not isinstance(keys, Mapping):
            raise BadSubscription("keys (p256dh, auth) are missing")
        p256dh, auth = keys.get("p256dh"), keys.get("auth")
        if not isinstance(p256dh, str) or not isinstance(auth, str):
            raise BadSubscription("keys.p256dh and keys.auth are base64url text")
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
        if len(point) != 65 or point[0] != 4:
            raise BadSubscription("keys.p256dh must be an uncompressed P-256 point (65 bytes)")
        if len(secret) != 16:
            raise BadSubscription("keys.auth must be 16 bytes")
        return cls(endpoint=endpoint, p256dh=p256dh, auth=auth)


def notification(subject: str, body: Mapping[str, Any]) -> bytes:
    """The JSON the page's service worker shows: title, text, where a tap goes (the review page), a tag per alert
    (a repeat replaces, never doubles), and the picture when its presigned link fits."""
    links = body.get("links") if isinstance(body.get("links"), Mapping) else {}
    assert isinstance(links, Mapping)
    camera = str(body.get("camera_id") or "")
    score = body.get("score")
    text = f"Camera {camera}" + (f", score {float(score):.2f}" if isinstance(score, (int, float)) else "")
    message: dict[str, Any] = {"title": subject or f"Person on {camera}", "body": text,
                               "tag": str(body.get("video_id") or ""), "camera_id": camera,
                               "url": links.get("review") or ""}
    frame = links.get("frame")
    if frame and len(json.dumps(message | {"image": frame}).encode()) <= MAX_PAYLOAD:
        message["image"] = frame
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD:  # a very long review link: the notification still says what and where
        data = json.dumps(message | {"url": ""}, separators=(",", ":")).encode()
    return data
