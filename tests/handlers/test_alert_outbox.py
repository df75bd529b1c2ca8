"""Issue 21, case 2: an alert is never lost between deciding and publishing (claim, publish, mark sent: an outbox).

The guarantee is at-least-once: a crash after SNS accepted the message and before it was marked sent publishes it
again, with the same dedup_key attribute (the video id), so a subscriber can drop the repeat.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fixtures.faults import Crash, crash_after
from handlers.conftest import scheduled_event, upload_event
from videoalert_local.emulator import drain_alerts

PAST_THE_CLAIM = timedelta(minutes=7)  # longer than the alert claim (2 min) and a lease (6 min)


def later(deps, delta):
    """Move the clocks forward: the records' (leases and due times are read with it) and the dispatcher's (a tick is
    checked against it)."""
    clock, dispatcher_clock = deps.records.clock, deps.clock
    deps.records.clock = lambda: clock() + delta
    deps.clock = lambda: dispatcher_clock() + delta


def the_record(deps):
    (record,) = list(deps.records.all())
    return record


def upload(sess, res, clips_dir, invoke, name="a.mp4"):
    s3 = sess.client("s3")
    key = f"uploads/cam1/{name}"
    s3.put_object(Bucket=res.video_bucket, Key=key, Body=(clips_dir / "human_01.mp4").read_bytes())
    return invoke(upload_event(res.video_bucket, key, s3.head_object(Bucket=res.video_bucket, Key=key)["ETag"]))


def test_every_alert_carries_its_dedup_key(wired, invoke, clips_dir):
    sess, res, deps, _, _ = wired
    upload(sess, res, clips_dir, invoke)
    (alert,) = drain_alerts(sess, res.alert_queue_url)
    record = the_record(deps)
    assert alert["attributes"] == {"camera_id": "cam1", "decision": "ALERT", "dedup_key": record.video_id}
    assert record.alert_message_id == alert["message_id"] and record.due_at is None


@pytest.mark.parametrize("crash_point", [("records", "finish_done"), ("records", "claim_alert")],
                         ids=["after-the-decision", "after-claiming-the-alert"])
def test_an_alert_whose_run_died_before_publishing_is_published_by_the_next_scheduled_run(
        wired, invoke, clips_dir, monkeypatch, crash_point):
    # Given a clip decided ALERT whose run dies before the SNS publish
    sess, res, deps, _, _ = wired
    owner, method = crash_point
    crash_after(monkeypatch, getattr(deps, owner), method)
    with pytest.raises(Crash):
        upload(sess, res, clips_dir, invoke)
    assert the_record(deps).decision == "ALERT" and drain_alerts(sess, res.alert_queue_url) == []
    # When the scheduled run comes after the claim has expired (the upload event is never delivered again)
    later(deps, PAST_THE_CLAIM)
    invoke(scheduled_event(datetime.now(UTC) + PAST_THE_CLAIM))
    # Then the alert is published once and marked sent; the record leaves the recovery index
    (alert,) = drain_alerts(sess, res.alert_queue_url)
    record = the_record(deps)
    assert alert["attributes"]["dedup_key"] == record.video_id
    assert record.alert_message_id == alert["message_id"] and record.due_at is None
    # and later runs publish nothing more
    later(deps, PAST_THE_CLAIM)
    invoke(scheduled_event(datetime.now(UTC) + 2 * PAST_THE_CLAIM))
    assert drain_alerts(sess, res.alert_queue_url) == []


def test_a_run_that_died_after_sns_accepted_the_alert_gives_a_repeat_with_the_same_dedup_key(
        wired, invoke, clips_dir, monkeypatch):
    # Given a run that published the alert and died before marking it sent
    sess, res, deps, _, _ = wired
    crash_after(monkeypatch, deps.alerts, "publish")
    with pytest.raises(Crash):
        upload(sess, res, clips_dir, invoke)
    # When recovery finds the alert unmarked after its claim expired
    later(deps, PAST_THE_CLAIM)
    invoke(scheduled_event(datetime.now(UTC) + PAST_THE_CLAIM))
    # Then it was published again (at least once, never zero times) under the same dedup key, and marked sent
    first, second = drain_alerts(sess, res.alert_queue_url)
    record = the_record(deps)
    assert first["attributes"]["dedup_key"] == second["attributes"]["dedup_key"] == record.video_id
    # and it says the same thing; only its links are signed afresh by each publish (their own expiry), to the
    # same objects and endpoints
    assert without_links(first["body"]) == without_links(second["body"])
    assert link_targets(first["body"]) == link_targets(second["body"]) and link_targets(first["body"])
    assert record.alert_message_id == second["message_id"]


def without_links(body: dict) -> dict:
    """The body without its links (the text carries them too: each without its query)."""
    import re

    return {k: re.sub(r"(https?://[^?\s]+)\?\S*", r"\1", v) if k == "text" else v for k, v in body.items()
            if k != "links"}


def link_targets(body: dict) -> dict:
    """Each link without its query (signature, expiry, token)."""
    return {k: v.split("?")[0] for k, v in body.get("links", {}).items() if isinstance(v, str) and "://" in v}


def test_a_live_publisher_keeps_its_claim_until_it_expires(wired, invoke, clips_dir):
    # Given a DONE ALERT record whose alert another run has just claimed
    from fixtures.records import seed

    sess, res, deps, _, _ = wired
    seed(deps.records, {"video_id": "cam1-x", "camera_id": "cam1", "status": "DONE", "decision": "ALERT"})
    assert deps.records.claim_alert("cam1-x") is True
    # Then nobody else may claim it while the claim holds, and anybody may after it expired
    assert deps.records.claim_alert("cam1-x") is False
    later(deps, PAST_THE_CLAIM)
    assert deps.records.claim_alert("cam1-x") is True
    # and once it is marked sent, never again
    deps.records.record_alert("cam1-x", "m-1")
    later(deps, PAST_THE_CLAIM)
    assert deps.records.claim_alert("cam1-x") is False
