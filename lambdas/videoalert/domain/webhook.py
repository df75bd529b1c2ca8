"""The alert webhook's signature, as the Standard Webhooks specification (standardwebhooks.com) defines it, so any
of its libraries verifies it: headers webhook-id (the delivery id: the alert's video id, the same on every retry),
webhook-timestamp (Unix seconds) and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"), the
secret "whsec_<base64 key>". Pure: the secret and the clock are passed in."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


class BadWebhookSecret(ValueError):
    """The secret is not "whsec_" followed by a base64 key."""


def webhook_key(secret: str) -> bytes:
    text = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadWebhookSecret("the webhook secret must be whsec_ followed by a base64 key") from None
    if len(key) < 16:
        raise BadWebhookSecret("the webhook secret's key must be at least 16 bytes")
    return key


def signed_headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery of body (JSON bytes)."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    mac = base64.b64encode(hmac.new(webhook_key(secret), signed, hashlib.sha256).digest()).decode("ascii")
    return {"webhook-id": delivery_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{mac}",
            "content-type": "application/json"}
