"""Web Push: the review page's subscribe API on the public links function (the review link is the permission; a
subscription is validated, stored per camera or for every camera, bounded, removable) and the deliveries function's
push, sent with pywebpush to a local push-service stand-in that verifies the VAPID signature and decrypts the payload
(RFC 8291) with the browser's keys: once per browser per alert, retried, a gone browser (410) removed."""
from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fixtures.push_standin import push_standin
from handlers.conftest import LambdaContext
from videoalert.app.links import LinkSigner
from videoalert.domain.link_token import Action
from videoalert_local.links_server import function_url_event


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeBrowser:
    """What a browser's PushManager makes: a P-256 key pair and an auth secret; its endpoint at the push service."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        raw = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64u(raw), "auth": b64u(self.auth)}}

    def jwk(self) -> dict:
        return {"d": b64u(self.key.private_numbers().private_value.to_bytes(32, "big"))}


@pytest.fixture
def links(aws, monkeypatch):
    import feedback_links

    from videoalert.wiring import build_links

    sess, res = aws
    deps = build_links(res.links_settings(), session=sess)
    monkeypatch.setattr(feedback_links, "_deps", deps)
    return feedback_links, deps, res, sess


def review_token(deps, scope: str) -> str:
    return LinkSigner(deps.keys, "").token(scope, Action.REVIEW, datetime.now(UTC), LinkSigner.review_ttl)


def call(module, method: str, target: str, body: object | None = None) -> tuple[int, dict | str, dict]:
    data = (body if isinstance(body, bytes) else json.dumps(body).encode()) if body is not None else b""
    answer = module.handler(function_url_event(method, target, data, {"content-type": "application/json"}),
                            LambdaContext())
    text = answer["body"]
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return answer["statusCode"], parsed, answer.get("headers") or {}


def test_a_review_link_subscribes_a_browser_for_its_camera_and_bad_requests_are_refused(links):
    module, deps, res, sess = links
    token = review_token(deps, "cam1")
    # Given the VAPID public key the page subscribes with (not a secret)
    status, key, _ = call(module, "GET", "/push/key")
    assert status == 200 and len(base64.urlsafe_b64decode(key["public_key"] + "==")) == 65
    browser = FakeBrowser("https://fcm.googleapis.com/fcm/send/abc")
    # When the page posts its subscription with cam1's review link
    status, said, _ = call(module, "POST", "/push/subscribe", {"c": "cam1", "t": token,
                                                               "subscription": browser.subscription()})
    # Then it is stored for cam1, and an alert of cam1 (not of another camera) goes to it
    assert status == 200 and said["message"] == "This browser is notified of each alert on camera cam1."
    [(scope, stored)] = deps.push.for_camera("cam1")
    assert scope == "cam1" and stored.endpoint == browser.endpoint
    assert deps.push.for_camera("cam2") == []
    # And subscribing again replaces it (one item per browser)
    call(module, "POST", "/push/subscribe", {"c": "cam1", "t": token, "subscription": browser.subscription()})
    assert len(deps.push.for_camera("cam1")) == 1
    # And an every-camera link subscribes for every camera
    every = FakeBrowser("https://updates.push.services.mozilla.com/wpush/v2/every")
    assert call(module, "POST", "/push/subscribe", {"c": "*", "t": review_token(deps, "*"),
                                                    "subscription": every.subscription()})[0] == 200
    assert {s.endpoint for _, s in deps.push.for_camera("cam2")} == {every.endpoint}
    # But a link of another camera, a tampered one, a subscription no browser gives, or no JSON are refused
    bad_keys = browser.subscription() | {"keys": {"p256dh": b64u(b"\x04" + b"1" * 10), "auth": b64u(b"a" * 16)}}
    for body, expected in [
        ({"c": "cam2", "t": token, "subscription": browser.subscription()}, 403),
        ({"c": "cam1", "t": token[:-2] + "xx", "subscription": browser.subscription()}, 400),  # malformed
        ({"c": "cam1", "t": token, "subscription": bad_keys}, 400),
        ({"c": "cam1", "t": token, "subscription": browser.subscription() | {"endpoint": "http://10.0.0.1/x"}}, 400),
        ({"c": "cam1", "t": token, "subscription": browser.subscription() | {"endpoint": "https://evil.example/x"}},
         400),
        ({"c": "cam1", "t": token,
          "subscription": browser.subscription() | {"endpoint": "https://fcm.googleapis.com.evil.example/x"}}, 400),
        ({"c": "cam1", "t": token, "subscription": "nope"}, 400),
        (b"\xff not json", 400),
    ]:
        status, said, _ = call(module, "POST", "/push/subscribe", body)
        assert status == expected, (body, said)
    assert len(deps.push.for_camera("cam1")) == 2  # cam1's and every camera's
    # When the page unsubscribes, Then its item is gone
    assert call(module, "POST", "/push/unsubscribe", {"c": "cam1", "t": token,
                                                      "subscription": browser.subscription()})[0] == 200
    assert [s.endpoint for _, s in deps.push.for_camera("cam1")] == [every.endpoint]


def test_the_review_page_offers_notifications_with_its_manifest_worker_and_script_and_allows_only_them(links):
    module, deps, res, sess = links
    token = review_token(deps, "cam1")
    status, page, headers = call(module, "GET", f"/review?c=cam1&t={token}")
    assert status == 200
    assert '<link rel="manifest" href="/manifest.webmanifest?c=cam1&amp;t=' in page
    assert '<script src="/push.js" defer></script>' in page and 'id="push"' in page
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "worker-src 'self'" in csp and "'unsafe-inline'" not in csp.split(
        "script-src")[1].split(";")[0]
    status, manifest, _ = call(module, "GET", f"/manifest.webmanifest?c=cam1&t={token}")
    assert manifest["start_url"] == f"/review?c=cam1&t={token}" and manifest["display"] == "standalone"
    for path, kind in (("/sw.js", "text/javascript"), ("/push.js", "text/javascript"), ("/icon.svg", "image/svg")):
        status, text, headers = call(module, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and text
    # A one-tap confirmation page still runs no script
    assert "script-src" not in module.HEADERS["Content-Security-Policy"]


def test_a_scope_keeps_at_most_its_bound_of_browsers_the_oldest_going_first(links):
    from videoalert.domain.push import Subscription
    from videoalert.store.push_subscriptions import PushSubscriptions

    module, deps, res, sess = links
    table = PushSubscriptions(sess.resource("dynamodb").Table(res.push_table), max_per_scope=3)
    for n in range(5):
        sub = Subscription.parse(FakeBrowser(f"https://web.push.apple.com/Q{n}").subscription())
        table.add("cam1", sub, datetime(2026, 12, 7, 10, n, tzinfo=UTC))
    assert sorted(s.endpoint[-1] for _, s in table.for_scope("cam1")) == ["2", "3", "4"]


@pytest.fixture
def delivering(links):
    """The deliveries function set to push (the same moto resources), a record of cam1 to alert about."""
    import alert_deliveries

    from videoalert.config.deliveries import DeliverySettings
    from videoalert.domain.records import VideoRecord
    from videoalert.domain.types import Source, Status
    from videoalert.store.videos import VideoRecords
    from videoalert.wiring import build_deliveries

    module, link_deps, res, sess = links
    settings = DeliverySettings(videos_table=res.videos_table, video_bucket=res.video_bucket,
                                push_table=res.push_table, vapid_secret=res.vapid_secret)
    deps = build_deliveries(settings, session=sess)
    deps.pusher.sleep = lambda s: None
    records = VideoRecords(sess.resource("dynamodb").Table(res.videos_table))
    start = datetime(2026, 12, 7, 15, 31, tzinfo=UTC)
    record = VideoRecord(video_id="cam1-20261207T153100Z", camera_id="cam1", source=Source.STREAM,
                         window_start=start, window_end=start.replace(minute=32), status=Status.DONE)
    records.table.put_item(Item=record.to_item())
    body = {"video_id": record.video_id, "camera_id": "cam1", "score": 0.97,
            "links": {"review": "https://links.example/review?c=cam1&t=abc", "expires_at": "2026-12-08T03:31:00Z"}}
    envelope = {"Type": "Notification", "Subject": "Person detected on cam1", "Message": json.dumps(body)}
    event = {"Records": [{"messageId": "m1", "body": json.dumps(envelope)}]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(alert_deliveries, "_deps", deps)
        yield alert_deliveries, link_deps, event, records


def test_an_alert_is_pushed_encrypted_and_signed_once_to_each_subscribed_browser(delivering):
    from videoalert.domain.push import Subscription

    handler, link_deps, event, records = delivering
    with push_standin() as service:
        # Given two browsers subscribed to cam1 and one to every camera, one of them behind a flaky push service
        browsers = {name: FakeBrowser(f"{service.base}/push/{name}") for name in ("phone", "tablet", "desk")}
        public = link_deps.vapid.key().public_key
        for name, browser in browsers.items():
            service.add_browser(name, browser.jwk(), b64u(browser.auth), public)
            scope = "*" if name == "desk" else "cam1"
            link_deps.push.add(scope, Subscription.parse(browser.subscription(), loopback=True), datetime.now(UTC))
        service.browsers["tablet"].answer = 503
        # When the alert reaches the deliveries function
        answer = handler.handler(event, LambdaContext())
        # Then the two healthy browsers got it (each once: decrypted, VAPID-verified), the tablet's push failed after
        # its retries and the alert goes back to the queue
        assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        assert sorted(m["endpoint_id"] for m in service.received) == ["desk", "phone"]
        note = json.loads(service.received[0]["data"])
        assert note["title"] == "Person detected on cam1" and note["tag"] == "cam1-20261207T153100Z"
        assert note["url"] == "https://links.example/review?c=cam1&t=abc" and "0.97" in note["body"]
        # When SQS hands it over again and the tablet's service is back
        service.browsers["tablet"].answer = 201
        assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
        # Then only the tablet gets it now; a third delivery sends nothing
        assert sorted(m["endpoint_id"] for m in service.received) == ["desk", "phone", "tablet"]
        assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
        assert len(service.received) == 3 and service.refused == []
        # When a browser has unsubscribed (the push service answers 410), Then its subscription is removed
        records.table.update_item(Key={"video_id": "cam1-20261207T153100Z"},
                                  UpdateExpression="REMOVE delivered_push_" + link_deps.push.for_scope("cam1")[0][1]
                                  .subscription_id)
        gone = link_deps.push.for_scope("cam1")[0][1]
        service.browsers[gone.endpoint.rsplit("/", 1)[-1]].answer = 410
        assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
        assert gone.subscription_id not in {s.subscription_id for _, s in link_deps.push.for_scope("cam1")}


def test_push_without_a_vapid_key_yet_delivers_the_other_channels_and_says_so(delivering):
    from videoalert.app.deliveries import deliver

    handler, link_deps, event, records = delivering
    deps = handler._deps
    sm = deps.pusher.secret.client
    sm.put_secret_value(SecretId=deps.pusher.secret.secret_id, SecretString="a placeholder the stack made")
    deps.pusher.secret._key = None
    outcome = deliver("s", json.loads(json.loads(event["Records"][0]["body"])["Message"]), deps)
    assert outcome == {"push": "not set up (no VAPID key)"}
