"""Alerts beyond SNS: the HTML e-mail (SES, the picture inline, the one-tap buttons first) and the signed webhook
(Standard Webhooks signature, retried, one delivery per alert), received by the example receiver in docs/."""
from __future__ import annotations

import base64
import email
import importlib.util
import json
import os
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from handlers.conftest import LambdaContext

ROOT = Path(__file__).resolve().parents[2]
SENDER = "alerts@example.com"
SECRET = "whsec_" + base64.b64encode(b"a 24-byte webhook secret").decode()


def example_receiver():
    spec = importlib.util.spec_from_file_location("webhook_receiver", ROOT / "docs/examples/webhook_receiver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def alerted(loop, monkeypatch):
    """One alert of cam1 (with its one-tap links) as the alert topic's SQS subscription holds it."""
    from videoalert.app.links import LinkSigner
    from videoalert.wiring import build_links

    links = build_links(loop.res.links_settings(), session=loop.sess)
    loop.deps.links = LinkSigner(links.keys, "https://links.example")
    loop.minute(0, "human_02")
    [alert] = loop.alerts()
    envelope = {"Type": "Notification", "Subject": alert["subject"], "Message": json.dumps(alert["body"])}
    event = {"Records": [{"messageId": "m1", "body": json.dumps(envelope)}]}
    return loop, alert, event


def deliveries(loop, monkeypatch, **env):
    import alert_deliveries

    from videoalert.config.deliveries import DeliverySettings
    from videoalert.wiring import build_deliveries

    settings = DeliverySettings.from_env({"VIDEOS_TABLE": loop.res.videos_table,
                                          "VIDEO_BUCKET": loop.res.video_bucket, **env})
    deps = build_deliveries(settings, session=loop.sess)
    if deps.webhook is not None:
        deps.webhook.sleep = lambda s: None
    monkeypatch.setattr(alert_deliveries, "_deps", deps)
    return alert_deliveries


def sent_mail():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_the_alert_e_mail_is_html_with_the_boxed_picture_inline_and_both_buttons_first_once(alerted, monkeypatch):
    loop, alert, event = alerted
    # Given a verified sender and the deliveries function set to e-mail two people
    loop.sess.client("ses").verify_email_identity(EmailAddress=SENDER)
    handler = deliveries(loop, monkeypatch, ALERT_EMAIL_FROM=SENDER, ALERT_EMAIL_TO="a@example.com,b@example.com")
    # When the alert reaches it, twice (SQS delivers at least once)
    assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
    # Then one e-mail went out, to both, from the verified identity
    [mail] = sent_mail()
    assert mail.source == SENDER and set(mail.destinations) == {"a@example.com", "b@example.com"}
    message = email.message_from_string(mail.raw_data, policy=policy.default)
    assert message["Subject"] == alert["subject"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    # the picture is inline (cid) and is the clip's best frame as stored, before the two one-tap buttons
    [image] = [p for p in message.walk() if p.get_content_type() == "image/jpeg"]
    assert image["Content-ID"] == "<best-frame>"
    from videoalert.domain.ids import frame_key

    record = loop.deps.records.get(alert["body"]["video_id"])
    key = frame_key(record.camera_id, record.window_start, record.video_id)
    assert key in alert["body"]["links"]["frame"]
    stored = loop.sess.client("s3").get_object(Bucket=loop.res.video_bucket, Key=key)["Body"].read()
    assert image.get_content() == stored
    links = alert["body"]["links"]
    picture, not_a_person, correct = (html.index('src="cid:best-frame"'), html.index(">Not a person</a>"),
                                      html.index(">Correct</a>"))
    assert picture < not_a_person < correct
    assert links["not_a_person"].replace("&", "&amp;") in html and links["correct"].replace("&", "&amp;") in html
    # and the text part is the SNS text (the fallback for clients without HTML)
    assert text.strip() == alert["body"]["text"].strip()
    record = loop.deps.records.get(alert["body"]["video_id"])
    assert "delivered_email" in record.extra


class Flaky:
    """The example receiver behind a front that answers 503 to the first `fail` requests."""

    def __init__(self, fail: int):
        receiver_module = example_receiver()
        self.acted: list[dict] = []
        self.receiver = receiver_module.Receiver(SECRET, self.acted.append)
        self.requests: list[tuple[dict, bytes]] = []
        self.fail = fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 503 if len(outer.requests) <= outer.fail else outer.receiver.handle(
                    dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook_secret(loop):
    sm = loop.sess.client("secretsmanager")
    return sm.create_secret(Name="videoalert-webhook", SecretString=SECRET)["ARN"]


def test_the_webhook_is_signed_retried_and_acted_on_once_per_alert(alerted, monkeypatch, webhook_secret):
    loop, alert, event = alerted
    # Given a receiver that fails twice before it answers
    flaky = Flaky(fail=2)
    handler = deliveries(loop, monkeypatch, ALERT_WEBHOOK_URL=flaky.url, ALERT_WEBHOOK_SECRET_ARN=webhook_secret)
    # When the alert is delivered, and SQS hands the same message over again
    assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
    # Then it was tried three times with the same id and body, and acted on once
    assert len(flaky.requests) == 3
    assert {h["webhook-id"] for h, _ in flaky.requests} == {alert["body"]["video_id"]}
    assert len({b for _, b in flaky.requests}) == 1
    [acted] = flaky.acted
    assert acted["type"] == "alert" and acted["video_id"] == alert["body"]["video_id"]
    assert acted["links"]["not_a_person"] == alert["body"]["links"]["not_a_person"]
    assert acted["person"]["score"] >= acted["threshold"] and acted["text"] == alert["body"]["text"]
    # And a replay of the delivery itself (an attacker, or a crash before marking) is not acted on twice, a
    # tampered body is refused, and the signature verifies with the Standard Webhooks library too
    headers, body = flaky.requests[-1]
    assert flaky.receiver.handle(headers, body) == 200 and len(flaky.acted) == 1
    assert flaky.receiver.handle(headers, body.replace(b'"alert"', b'"alarm"')) == 401
    standardwebhooks = pytest.importorskip("standardwebhooks")
    verified = standardwebhooks.Webhook(SECRET).verify(body, {k.lower(): v for k, v in headers.items()})
    assert verified["video_id"] == alert["body"]["video_id"]


def test_a_receiver_that_stays_down_leaves_the_alert_for_sqs_to_retry(alerted, monkeypatch, webhook_secret):
    loop, alert, event = alerted
    # Given a receiver that keeps failing, and the e-mail that works
    loop.sess.client("ses").verify_email_identity(EmailAddress=SENDER)
    flaky = Flaky(fail=100)
    handler = deliveries(loop, monkeypatch, ALERT_WEBHOOK_URL=flaky.url, ALERT_WEBHOOK_SECRET_ARN=webhook_secret,
                         ALERT_EMAIL_FROM=SENDER, ALERT_EMAIL_TO="a@example.com")
    # When the alert is delivered
    answer = handler.handler(event, LambdaContext())
    # Then the message is a batch item failure (SQS retries it, then dead-letters it: nothing lost) after the
    # sender's own attempts, and the e-mail, delivered, is not sent again on the retry
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert len(flaky.requests) == 4 and len(sent_mail()) == 1
    flaky.fail = 0
    assert handler.handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert len(sent_mail()) == 1 and len(flaky.acted) == 1


def test_deliveries_settings_go_in_pairs():
    from videoalert.config.deliveries import DeliverySettings
    from videoalert.config.env import SettingsError

    base = {"VIDEOS_TABLE": "v", "VIDEO_BUCKET": "b"}
    with pytest.raises(SettingsError, match="go together"):
        DeliverySettings.from_env(base | {"ALERT_EMAIL_FROM": SENDER})
    with pytest.raises(SettingsError, match="signed"):
        DeliverySettings.from_env(base | {"ALERT_WEBHOOK_URL": "https://h.example/x"})
    assert DeliverySettings.from_env(base).email_from is None
    assert os.environ.get("ALERT_WEBHOOK_URL") is None


def test_the_example_receiver_forwards_to_ntfy_with_the_picture_and_the_one_tap_links():
    # Given an ntfy stand-in that records what it is sent, and an alert's JSON
    published: list[tuple[dict, bytes]] = []

    class Ntfy(BaseHTTPRequestHandler):
        def do_POST(self):
            published.append((dict(self.headers.items()), self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    ntfy = ThreadingHTTPServer(("127.0.0.1", 0), Ntfy)
    threading.Thread(target=ntfy.serve_forever, daemon=True).start()
    links = {"frame": "https://f.example/best.jpg", "review": "https://l.example/review?c=cam1&t=x",
             "not_a_person": "https://l.example/label?v=a&t=1", "correct": "https://l.example/label?v=a&t=2"}
    alert = {"subject": "Person detected on cam1", "text": "A person was detected on camera cam1.", "links": links}
    # When the receiver forwards it
    example_receiver().to_ntfy(f"http://127.0.0.1:{ntfy.server_address[1]}/cams")(alert)
    ntfy.shutdown()
    # Then ntfy gets the title, the text, the picture, the review on a tap and both one-tap links as actions
    [(headers, body)] = published
    assert body == alert["text"].encode() and headers["Title"] == alert["subject"]
    assert headers["Attach"] == links["frame"] and headers["Click"] == links["review"]
    assert headers["Actions"] == (f"view, Not a person, {links['not_a_person']}; view, Correct, {links['correct']}")
