"""`videoalert webpush`: the VAPID key made and stored in the stack's secret (kept unless --replace, which drops the
subscriptions bound to the old key), the subscribed browsers listed and removed; a stack without Web Push says so."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from videoalert_cli.main import main


@pytest.fixture
def target(aws, monkeypatch):
    from videoalert_cli import resources

    sess, res = aws
    found = {"videos_table": res.videos_table, "cameras_table": res.cameras_table, "video_bucket": res.video_bucket,
             "push_table": res.push_table, "vapid_secret": res.vapid_secret}
    monkeypatch.setattr(resources, "resolve", lambda args: resources.Target(sess, None, found, stack="videoalert-t"))
    return sess, res, found


def subscribe(sess, res, scope: str, n: int) -> str:
    from videoalert.domain.push import Subscription
    from videoalert.store.push_subscriptions import PushSubscriptions

    key = "BN" + "A" * 85  # 65 bytes base64url, uncompressed point marker 0x04
    sub = Subscription.parse({"endpoint": f"https://fcm.googleapis.com/fcm/send/{n}",
                              "keys": {"p256dh": key, "auth": "A" * 22}})
    PushSubscriptions(sess.resource("dynamodb").Table(res.push_table)).add(scope, sub, datetime.now(UTC))
    return sub.subscription_id


def test_keys_are_made_once_and_replaced_only_when_asked(target, capsys):
    sess, res, _ = target
    secrets = sess.client("secretsmanager")
    # Given the stack's placeholder in the secret (the local run put a key there: start from the placeholder)
    secrets.put_secret_value(SecretId=res.vapid_secret, SecretString="placeholder-from-the-stack")
    # When the user makes the key
    assert main(["webpush", "keys", "--subject", "mailto:me@example.com", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    # Then the secret holds the pair as JSON (a PEM private key, the public key the page subscribes with)
    stored = json.loads(secrets.get_secret_value(SecretId=res.vapid_secret)["SecretString"])
    assert made["changed"] and stored["public_key"] == made["public_key"]
    assert stored["subject"] == "mailto:me@example.com"
    private = serialization.load_pem_private_key(stored["private_key"].encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1"
    # When asked again, Then the key stays (every subscription is bound to it)
    subscribe(sess, res, "cam1", 1)
    assert main(["webpush", "keys", "--subject", "mailto:me@example.com"]) == 0
    assert "a VAPID key is in place" in capsys.readouterr().out
    assert json.loads(secrets.get_secret_value(SecretId=res.vapid_secret)["SecretString"]) == stored
    # When replaced, Then the old key's subscriptions are removed
    assert main(["webpush", "keys", "--subject", "mailto:me@example.com", "--replace"]) == 0
    assert "1 subscription(s) of the old key removed" in capsys.readouterr().out
    # And a subject that is no contact is refused
    assert main(["webpush", "keys", "--subject", "me@example.com", "--replace"]) == 1
    assert "mailto:" in capsys.readouterr().err


def test_list_and_remove_subscribed_browsers(target, capsys):
    sess, res, _ = target
    first, _second = subscribe(sess, res, "cam1", 1), subscribe(sess, res, "cam1", 2)
    subscribe(sess, res, "*", 3)
    assert main(["webpush", "list", "cam1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 browser(s) subscribed to camera cam1") and first in out and "fcm.googleapis.com" in out
    assert main(["webpush", "remove", "cam1", first]) == 0
    capsys.readouterr()
    assert main(["webpush", "list", "cam1", "--json"]) == 0
    assert first not in {s["subscription_id"] for s in json.loads(capsys.readouterr().out)["subscriptions"]}
    assert main(["webpush", "list"]) == 0
    assert capsys.readouterr().out.startswith("1 browser(s) subscribed to every camera")


def test_a_stack_without_web_push_says_how_to_turn_it_on(aws, monkeypatch, capsys):
    from videoalert_cli import resources

    sess, res = aws
    monkeypatch.setattr(resources, "resolve", lambda args: resources.Target(sess, None, {
        "videos_table": res.videos_table}, stack="videoalert-t"))
    assert main(["webpush", "list"]) == 1
    assert "deploy with -c web_push=true" in capsys.readouterr().err
