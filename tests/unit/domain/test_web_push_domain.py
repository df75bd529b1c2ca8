"""Web Push, pure: the subscription a page posts (validated, one id per endpoint) and the notification an alert
becomes (small enough for every push service, the picture only when it fits)."""
from __future__ import annotations

import base64
import json

import pytest

from videoalert.domain.push import MAX_PAYLOAD, BadSubscription, Subscription, notification

KEY = base64.urlsafe_b64encode(b"\x04" + b"k" * 64).rstrip(b"=").decode()
AUTH = base64.urlsafe_b64encode(b"a" * 16).rstrip(b"=").decode()


def sub(endpoint: str = "https://fcm.googleapis.com/fcm/send/x", **keys: str) -> dict:
    return {"endpoint": endpoint, "keys": {"p256dh": KEY, "auth": AUTH} | keys}


def test_a_subscription_is_a_push_service_endpoint_and_the_browser_s_keys():
    parsed = Subscription.parse(sub())
    assert parsed.info() == sub() and len(parsed.subscription_id) == 32
    assert Subscription.parse(sub("https://wns2-par02p.notify.windows.com/w/?token=1")).endpoint
    # an endpoint on this machine only for the local run
    assert Subscription.parse(sub("http://127.0.0.1:5000/push/a"), loopback=True)
    for bad in (sub("http://127.0.0.1:5000/push/a"), sub("https://example.com/fcm.googleapis.com"),
                sub(auth=base64.urlsafe_b64encode(b"a" * 8).decode()), sub(p256dh=AUTH), sub(p256dh="not base64!"),
                {"endpoint": "https://fcm.googleapis.com/x"}, ["not", "a", "mapping"]):
        with pytest.raises(BadSubscription):
            Subscription.parse(bad)


def test_the_notification_says_what_and_where_and_stays_small():
    body = {"video_id": "cam1-1", "camera_id": "cam1", "score": 0.9731,
            "links": {"review": "https://l.example/review?c=cam1&t=x", "frame": "https://b.example/f.jpg?sig=1"}}
    note = json.loads(notification("Person detected on cam1", body))
    assert note == {"title": "Person detected on cam1", "body": "Camera cam1, score 0.97", "tag": "cam1-1",
                    "camera_id": "cam1", "url": "https://l.example/review?c=cam1&t=x",
                    "image": "https://b.example/f.jpg?sig=1"}
    # a presigned picture link too long for a push message is left out, and the payload stays under the cap
    long = body | {"links": body["links"] | {"frame": "https://b.example/f.jpg?" + "s" * 5000}}
    data = notification("Person detected on cam1", long)
    assert len(data) <= MAX_PAYLOAD and "image" not in json.loads(data)
