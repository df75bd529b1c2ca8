"""Signed, expiring link tokens: a one-tap feedback link binds one video and one label, a review link one camera.

Format: "v1.<claims>.<mac>", claims the compact JSON {"id", "sub", "act", "exp"} and mac its HMAC-SHA256 under
the signing key, both base64url without padding. The standard library's hmac does it in a few lines; a token
library (itsdangerous, PyJWT) would be one more package in a zip that carries none. Verification accepts every
key given (the current one and, during a rotation, the previous one) and compares in constant time.
Pure: the key, the clock and the token id are passed in.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

VERSION = "v1"
MAX_TOKEN_CHARS = 600
# The only spelling of a token: base64url without padding, its parts joined by dots (ASCII, so nothing else encodes).
TOKEN_FORM = re.compile(r"v[0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class Action(StrEnum):
    """What a token allows: label its video (one of the two labels), or read its camera's review page."""

    FALSE_POSITIVE = "false_positive"
    TRUE_POSITIVE = "true_positive"
    REVIEW = "review"
    CLEAR = "clear"  # undo: take its video's label away (single use, as a label link)


LABEL_ACTIONS = (Action.FALSE_POSITIVE, Action.TRUE_POSITIVE)


class TokenRefused(Exception):
    """The token is not good for this request; `reason` is a short code that is safe to log (never the token)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    token_id: str  # random, unique per token: a label token is spent once (store.tokens records it)
    subject: str  # the video id (labels, clear) or the camera id (review; "*": every camera)
    action: Action
    expires_at: int  # Unix seconds

    def to_payload(self) -> dict[str, object]:
        return {"id": self.token_id, "sub": self.subject, "act": self.action.value, "exp": self.expires_at}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def sign(claims: LinkClaims, key: bytes) -> str:
    """The token for these claims under this key."""
    if not key:
        raise ValueError("an empty signing key")
    body = _b64(json.dumps(claims.to_payload(), separators=(",", ":"), sort_keys=True).encode())
    signed = f"{VERSION}.{body}"
    return f"{signed}.{_b64(_mac(key, signed))}"


def verify(token: str, keys: Sequence[bytes], *, now: datetime, subject: str, actions: Sequence[Action]) -> LinkClaims:
    """The token's claims if it was signed by one of the keys, has not expired, is about this subject and allows
    one of these actions; TokenRefused (MALFORMED, BAD_SIGNATURE, EXPIRED, WRONG_SUBJECT, WRONG_ACTION) if not.
    The signature is checked before anything in the claims is believed."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS or not TOKEN_FORM.fullmatch(token):
        raise TokenRefused("MALFORMED", "not a link token")
    version, body, mac_text = token.split(".")
    if version != VERSION:
        raise TokenRefused("MALFORMED", f"unknown token version {version[:8]!r}")
    try:
        mac = _unb64(mac_text)
    except (binascii.Error, ValueError):
        raise TokenRefused("MALFORMED", "the signature is not base64url") from None
    if _b64(mac) != mac_text:  # the same bytes spelled with padding or unused bits set: one token, one spelling
        raise TokenRefused("MALFORMED", "the signature is not in its one spelling")
    signed = f"{version}.{body}"
    if not any(hmac.compare_digest(mac, _mac(key, signed)) for key in keys if key):
        raise TokenRefused("BAD_SIGNATURE", "signed by no current key (tampered, or older than a key rotation)")
    try:
        payload = json.loads(_unb64(body))
        claims = LinkClaims(token_id=str(payload["id"]), subject=str(payload["sub"]), action=Action(payload["act"]),
                            expires_at=int(payload["exp"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenRefused("MALFORMED", "the claims do not parse") from None
    if now.timestamp() >= claims.expires_at:
        raise TokenRefused("EXPIRED", f"expired at {claims.expires_at}")
    if not hmac.compare_digest(claims.subject.encode(), subject.encode()):
        raise TokenRefused("WRONG_SUBJECT", "the token is for another video or camera")
    if claims.action not in actions:
        raise TokenRefused("WRONG_ACTION", f"the token allows {claims.action.value}")
    return claims
