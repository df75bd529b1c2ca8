"""Send a Web Push message (RFC 8030) with pywebpush: the payload encrypted for the browser (RFC 8291, aes128gcm),
signed with the VAPID key (RFC 8292) from Secrets Manager; retried like the webhook (connection errors, timeouts, 429
and 5xx); 404 and 410 mean the browser is gone (the caller removes its subscription)."""
from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from videoalert.domain.push import PushGone, Subscription

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({404, 410})


class PushFailed(Exception):
    """The push service did not take the message (after the retries, or with an answer a retry cannot change)."""


@dataclass(frozen=True)
class VapidKey:
    """The application server's key pair and contact, as `videoalert webpush keys` stores them (JSON)."""

    private_pem: str
    public_key: str  # base64url, uncompressed point: the page subscribes with it (applicationServerKey)
    subject: str  # mailto: or https: contact push services may use

    @classmethod
    def parse(cls, text: str) -> VapidKey:
        data = json.loads(text)
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("private_key", "public_key",
                                                                                       "subject")):
            raise ValueError("the VAPID secret is not the JSON `videoalert webpush keys` writes")
        return cls(private_pem=data["private_key"], public_key=data["public_key"], subject=data["subject"])


def new_vapid_key(subject: str) -> dict[str, str]:
    """A fresh P-256 key pair as the secret's JSON (py-vapid makes it)."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    if not subject.startswith(("mailto:", "https://")):
        raise ValueError("the VAPID subject is a mailto: or https:// contact")
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"private_key": pem, "public_key": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), "subject": subject}


class VapidSecret:
    """The VAPID key from Secrets Manager, read once per cold start; None while no key was put in the secret."""

    def __init__(self, client: Any, secret_id: str):
        self.client, self.secret_id = client, secret_id
        self._key: VapidKey | None = None

    def key(self) -> VapidKey | None:
        if self._key is None:
            text = str(self.client.get_secret_value(SecretId=self.secret_id).get("SecretString") or "")
            try:
                self._key = VapidKey.parse(text)
            except ValueError:  # the stack's placeholder, before `videoalert webpush keys`
                return None
        return self._key


class WebPushSender:
    """One message to one subscription, with pywebpush (aes128gcm, VAPID), retried."""

    def __init__(self, secret: VapidSecret, *, attempts: int = 3, base_delay_s: float = 1.0, timeout_s: float = 5.0,
                 ttl_s: int = 6 * 3600, sleep: Callable[[float], None] = time.sleep):
        self.secret, self.attempts, self.base_delay_s = secret, attempts, base_delay_s
        self.timeout_s, self.ttl_s, self.sleep = timeout_s, ttl_s, sleep

    def ready(self) -> bool:
        return self.secret.key() is not None

    def send(self, subscription: Subscription, data: bytes, topic: str) -> int:
        from py_vapid import Vapid
        from pywebpush import WebPushException, webpush

        key = self.secret.key()
        if key is None:
            raise PushFailed("no VAPID key in the secret yet (run `videoalert webpush keys`)")
        vapid = Vapid.from_pem(key.private_pem.encode())
        # Topic (RFC 8030 5.4): a push service replaces an undelivered message of the same topic, so a resent alert
        # waiting for an offline phone is shown once. At most 32 base64url characters.
        headers = {"Topic": base64.urlsafe_b64encode(hashlib.sha256(topic.encode()).digest()[:24]).decode(),
                   "Urgency": "high"}
        last = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.base_delay_s * 2 ** (attempt - 1))
            try:
                answer = webpush(subscription.info(), data=data, vapid_private_key=vapid,
                                 vapid_claims={"sub": key.subject}, content_encoding="aes128gcm", ttl=self.ttl_s,
                                 headers=dict(headers), timeout=self.timeout_s)
                return int(getattr(answer, "status_code", 201))
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in GONE_STATUSES:
                    raise PushGone(f"HTTP {status}") from exc
                if status is not None and status not in RETRY_STATUSES:
                    raise PushFailed(f"the push service answered HTTP {status}; not retried") from exc
                last = f"HTTP {status}" if status else str(exc)[:200]
            except OSError as exc:  # requests' ConnectionError and Timeout are OSErrors
                last = f"{type(exc).__name__}: {exc}"
        raise PushFailed(f"no delivery after {self.attempts} attempts (last: {last})")
