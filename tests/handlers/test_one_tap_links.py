"""One-tap feedback without AWS credentials: the alert's signed links, the public links function (labels through
the same path as `videoalert feedback`, memory included), replay/expiry/tamper/cross-video refusals, the review
page, and the key's rotation."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from handlers.conftest import LambdaContext
from videoalert.app.links import LinkSigner
from videoalert.domain.link_token import Action, LinkClaims, sign
from videoalert.domain.types import Label
from videoalert_local.links_server import function_url_event


@pytest.fixture
def tapped(loop, monkeypatch):
    """The loop's dispatcher signs alert links for the public links function, which runs on the same moto tables."""
    import feedback_links

    from videoalert.wiring import build_links

    deps = build_links(loop.res.links_settings(), session=loop.sess)
    monkeypatch.setattr(feedback_links, "_deps", deps)
    loop.deps.links = LinkSigner(deps.keys, "https://links.example")
    return loop, deps, feedback_links


def call(module, method: str, target: str, form: dict | None = None) -> tuple[int, str]:
    body = urlencode(form).encode() if form else b""
    headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    answer = module.handler(function_url_event(method, target, body, headers), LambdaContext())
    return answer["statusCode"], answer["body"]


def target_of(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}", dict(parse_qsl(parts.query))


def refusals(caplog) -> list[str]:
    return [getattr(r, "reason", "") for r in caplog.records if r.getMessage() == "link refused"]


def logged(caplog) -> str:
    """Every log record with its extra fields, as text."""
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)


def test_the_alert_carries_media_and_one_tap_links_and_not_a_person_teaches_the_camera(tapped, caplog):
    loop, deps, links = tapped
    # Given a clip the camera alerted on
    video_id = loop.minute(0, "horse_02")["video_id"]
    [alert] = loop.alerts()
    body = alert["body"]
    # Then the JSON for machines names every link; the frame was written once, under the video's id
    assert set(body["links"]) == {"frame", "clip", "not_a_person", "correct", "review", "expires_at"}
    assert "/cam1/2026/11/23/" + video_id + ".best.jpg" in body["links"]["frame"]
    assert body["links"]["not_a_person"].startswith("https://links.example/label?v=" + video_id)
    frame = loop.sess.client("s3").get_object(Bucket=loop.res.video_bucket,
                                              Key=f"videos/cam1/2026/11/23/{video_id}.best.jpg")
    assert frame["ContentType"] == "image/jpeg" and frame["Body"].read()[:2] == b"\xff\xd8"

    # When the user taps "not a person": the link opens a confirmation, one more tap posts it
    target, query = target_of(body["links"]["not_a_person"])
    status, page = call(links, "GET", target)
    assert status == 200 and "Confirm: not a person" in page
    assert loop.deps.records.get(video_id).label is None  # opening the link (a mail scanner too) changes nothing
    status, page = call(links, "POST", "/label", {"v": query["v"], "t": query["t"]})
    # Then the record is labelled and the camera's memory holds the clip's frames, as with the CLI
    assert status == 200 and "Marked as not a person" in page
    record = loop.deps.records.get(video_id)
    assert record.label.value == "false_positive" and record.labelled_by.startswith("link:")
    assert len(loop.deps.memory.entries("cam1")) == 4
    # And the same link again is refused as a replay, and logged without the token
    status, page = call(links, "POST", "/label", {"v": query["v"], "t": query["t"]})
    assert status == 409 and "used already" in page
    assert refusals(caplog) == ["REPLAYED"] and query["t"] not in logged(caplog)


def test_tampered_expired_and_cross_video_links_are_refused_and_change_nothing(tapped, caplog):
    loop, deps, links = tapped
    first = loop.minute(0, "horse_02")["video_id"]
    second = loop.minute(10, "human_02")["video_id"]
    alerts = {a["body"]["video_id"]: a["body"]["links"] for a in loop.alerts()}
    _, query = target_of(alerts[first]["correct"])
    token = query["t"]
    expired = sign(LinkClaims("old-1", second, Action.FALSE_POSITIVE,
                              int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())), deps.keys.current())
    forged = sign(LinkClaims("forged-1", second, Action.FALSE_POSITIVE, 2_000_000_000), b"not-the-key" * 4)
    cases = {
        "cross-video": {"v": second, "t": token},  # a link of the first clip, aimed at the second
        "tampered": {"v": first, "t": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")},
        "expired": {"v": second, "t": expired},
        "forged": {"v": second, "t": forged},
        "missing": {"v": second},
    }
    for name, form in cases.items():
        status, page = call(links, "POST", "/label", form)
        assert status == (400 if name == "missing" else 403), name
        assert "Link not accepted" in page
    assert loop.deps.records.get(first).label is None and loop.deps.records.get(second).label is None
    assert loop.deps.memory.entries("cam1") == []
    assert refusals(caplog) == ["WRONG_SUBJECT", "BAD_SIGNATURE", "EXPIRED", "BAD_SIGNATURE", "MALFORMED"]
    assert token not in logged(caplog) and expired not in logged(caplog)
    assert deps.keys.current().decode() not in logged(caplog)  # nor the signing key, ever


def test_the_review_page_lists_the_cameras_events_newest_first_with_working_buttons(tapped):
    loop, deps, links = tapped
    loop.deps.cameras.update_rule("cam1", loop.deps.cameras.get("cam1").rule.version,
                                  zones=(((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)),))
    first = loop.minute(0, "horse_02")["video_id"]
    second = loop.minute(10, "human_02")["video_id"]
    review_url = {a["body"]["video_id"]: a["body"]["links"]["review"] for a in loop.alerts()}[second]
    target, query = target_of(review_url)
    status, page = call(links, "GET", target)
    assert status == 200
    assert page.index(f'id="{second}"') < page.index(f'id="{first}"')  # newest first
    assert 'class="zone"' in page and ">zone 1</span>" in page and "Near the threshold" in page
    # A button of the page posts a fresh single-use token for its own clip
    forms = re.findall(r'<form method="post" action="/label">(.*?)</form>', page)
    fields = [dict(re.findall(r'name="(\w)" value="([^"]*)"', f)) for f in forms]
    not_a_person = next(f for f, html in zip(fields, forms, strict=True)
                        if f["v"] == first and "Not a person" in html)
    status, result = call(links, "POST", "/label", not_a_person)
    assert status == 200 and "Back to the review page" in result
    assert loop.deps.records.get(first).label.value == "false_positive"
    # A review link is no label link, and a wrong one opens nothing
    assert call(links, "POST", "/label", {"v": "cam1", "t": query["t"]})[0] == 403
    assert call(links, "GET", f"/review?c=cam2&t={query['t']}")[0] == 403


def forms_of(page: str) -> list[tuple[str, dict[str, str], str]]:
    """(action, fields, button text) of every form of a page."""
    found = re.findall(r'<form method="post" action="(/\w+)">(.*?)<button[^>]*>(.*?)</button></form>', page)
    return [(action, dict(re.findall(r'name="(\w)" value="([^"]*)"', body)), text) for action, body, text in found]


def test_an_event_joins_its_minutes_shows_its_rule_s_zones_and_a_label_can_be_undone(tapped):
    loop, deps, links = tapped
    # Given a person seen for two minutes under rule v2 (one zone, named "driveway"), then the rule changed to two
    # zones (one named "porch") and a mask, and a quiet minute later
    rule = loop.deps.cameras.get("cam1").rule
    loop.deps.cameras.update_rule("cam1", rule.version, zones=(((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)),),
                                  zone_names=("driveway",))
    first = loop.minute(0, "human_02")["video_id"]
    second = loop.minute(1, "human_02")
    assert second["decision"] == "COOLDOWN"
    rule = loop.deps.cameras.get("cam1").rule
    loop.deps.cameras.update_rule("cam1", rule.version, zones=(((0.0, 0.0), (0.5, 0.0), (0.5, 1.0)),
                                                               ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0))),
                                  zone_names=("porch", ""), masks=(((0.0, 0.9), (1.0, 0.9), (1.0, 1.0)),),
                                  threshold=0.99)
    quiet = loop.minute(20, "empty_01")["video_id"]
    [alert] = loop.alerts()
    target, query = target_of(alert["body"]["links"]["review"])
    # When the review page opens
    status, page = call(links, "GET", target)
    # Then the two minutes are one event (its alert's), the quiet minute another, newest first
    assert status == 200
    assert re.findall(r'<article class="event (\w+)" id="([^"]+)"', page) == [("NO_ALERT", quiet), ("ALERT", first)]
    alerting = page[page.index(f'id="{first}"'):]
    assert "2 minutes" in alerting and "10:00–10:02" in alerting
    # and its picture carries the zone of the rule its minutes were decided by (v2: one zone), by the name it had
    assert alerting.count('class="zone"') == 1 and ">driveway</span>" in alerting and 'class="mask"' not in alerting
    assert "porch" not in alerting
    # while the page's head says the camera's rule now: two zones, the second unnamed
    assert "2 zone(s) (porch, zone 2), 1 mask(s)" in page
    # and only the alerting event has buttons (a quiet minute claimed nothing to label)
    buttons = forms_of(page)
    assert {f["v"] for _, f, _ in buttons} == {first}
    assert sorted(text for _, _, text in buttons) == ["Correct", "Not a person"]
    # When "Not a person" is tapped, the page shows the label in words, with an undo
    [no] = [f for _, f, text in buttons if text == "Not a person"]
    assert call(links, "POST", "/label", no)[0] == 200
    page = call(links, "GET", target)[1]
    alerting = page[page.index(f'id="{first}"'):]
    assert "Marked: not a person" in alerting and "labelled false_positive" not in alerting
    [(action, undo, text)] = forms_of(page)
    assert (action, undo["v"], text) == ("/undo", first, "Undo")
    assert loop.deps.memory.entries("cam1")
    # When Undo is tapped, Then the label and what the camera remembered of it are gone, and the buttons are back
    status, answer = call(links, "POST", "/undo", undo)
    assert status == 200 and "no longer marked as not a person" in answer
    record = loop.deps.records.get(first)
    assert record.label is None and record.label_history[-1]["cleared"] is True
    assert loop.deps.memory.entries("cam1") == []
    assert sorted(text for _, _, text in forms_of(call(links, "GET", target)[1])) == ["Correct", "Not a person"]
    # and the same undo link again is a replay
    assert call(links, "POST", "/undo", undo)[0] == 409
    # And the event's own page shows the picture, the clip, the scores and both minutes
    status, event = call(links, "GET", f"/event?v={second['video_id']}&c=cam1&t={query['t']}")
    assert status == 200 and "<video" in event and "<polyline" in event
    assert first in event and second["video_id"] in event and 'class="frame"' in event
    assert call(links, "GET", f"/event?v={second['video_id']}&c=cam2&t={query['t']}")[0] == 403


def test_the_every_camera_review_pages_and_filters(tapped, monkeypatch):
    loop, deps, links = tapped
    # Given three separate alerts on cam1 and an every-camera review link
    ids = [loop.minute(m, "human_02")["video_id"] for m in (0, 10, 20)]
    signer = LinkSigner(deps.keys, "")
    target, _ = target_of(signer.review_url("*", datetime.now(UTC)))

    def shown(extra: str = "") -> list[str]:
        status, page = call(links, "GET", target + extra)
        assert status == 200
        return re.findall(r'<article class="event \w+" id="([^"]+)"', page)

    # Then the list is newest first; two per page pages on; filters narrow it
    import videoalert.app.one_tap as one_tap

    assert shown() == ids[::-1]
    with monkeypatch.context() as patched:
        patched.setattr(one_tap, "REVIEW_EVENTS", 2)
        page_one = call(links, "GET", target)[1]
        assert shown() == [ids[2], ids[1]] and 'id="older"' in page_one
        assert shown("&p=2") == [ids[0]]
    loop.deps.records.write_label(ids[1], Label.TRUE_POSITIVE, (), who="test", now=datetime.now(UTC))
    assert shown("&l=true_positive") == [ids[1]]
    assert shown("&l=unlabelled") == [ids[2], ids[0]]
    assert shown("&d=NO_ALERT") == []
    assert shown("&cam=cam1") == ids[::-1] and shown("&cam=cam2") == []
    assert shown("&day=2026-11-23") == ids[::-1] and shown("&day=2026-11-24") == []
    assert call(links, "GET", target + "&d=MAYBE")[0] == 400


def test_the_signing_key_rotates_and_links_signed_before_still_verify(aws):
    from videoalert.app.rotation import rotate
    from videoalert.aws.secrets import SecretRotation, SigningKeys
    from videoalert.domain.link_token import verify

    sess, res = aws
    client = sess.client("secretsmanager")
    clock = [0.0]
    keys = SigningKeys(client, res.signing_secret, clock=lambda: clock[0])
    # Given rotation enabled (moto, without a rotation function, makes a version current on the way) and a link
    client.rotate_secret(SecretId=res.signing_secret, RotationRules={"AutomaticallyAfterDays": 30},
                         RotateImmediately=False)
    before = keys.current()
    token = sign(LinkClaims("t-1", "cam1-x", Action.TRUE_POSITIVE, 2_000_000_000), before)
    # When Secrets Manager runs the rotation steps for a new version
    version = "0123456789abcdef0123456789abcdef"
    rotation = SecretRotation(client)
    rotation.create(res.signing_secret, version)  # the pending version's value (moto: no stub first)
    for step in ("setSecret", "testSecret", "finishSecret"):
        rotate(step, res.signing_secret, version, rotation)
    rotate("finishSecret", res.signing_secret, version, rotation)  # a repeated step changes nothing
    # Then the new key signs, and after the cache's five minutes both keys verify
    assert keys.current() == before  # cached
    clock[0] += 301
    after = keys.current()
    assert after != before and len(after) >= 48 and keys.all() == [after, before]
    assert verify(token, keys.all(), now=datetime.now(UTC), subject="cam1-x", actions=(Action.TRUE_POSITIVE,))
