"""Issue 21, case 1: a crash or a failed Invoke never leaves a clip stuck; the system recovers it by itself.

Crash points are injected with fixtures.faults (the process dies after or before a step); AWS is moto.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber

from fixtures.faults import Crash, crash_after, crash_before
from handlers.conftest import scheduled_event, upload_event
from videoalert_local.emulator import drain_alerts

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PAST_THE_LEASE = timedelta(minutes=7)  # the default lease is 6 minutes (the dispatcher's timeout + 1 minute)


def items(sess, res):
    return sorted(sess.resource("dynamodb").Table(res.videos_table).scan()["Items"], key=lambda i: i["video_id"])


def cursor(sess, res, camera):
    return sess.resource("dynamodb").Table(res.cameras_table).get_item(Key={"camera_id": camera})["Item"].get("cursor")


def later(deps, delta):
    """Move the clocks forward: the records' (leases and due times are read with it) and the dispatcher's (a tick is
    checked against it)."""
    clock, dispatcher_clock = deps.records.clock, deps.clock
    deps.records.clock = lambda: clock() + delta
    deps.clock = lambda: dispatcher_clock() + delta


def put_upload(sess, bucket, key, body):
    s3 = sess.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return s3.head_object(Bucket=bucket, Key=key)["ETag"]


def test_a_stream_minute_killed_during_inference_holds_the_cursor_until_a_later_run_finishes_it(
        wired, invoke, clips_dir, monkeypatch):
    # Given cam1's 10:00 minute has media, and the container dies while the model scores it
    sess, res, deps, inference, source = wired
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, T0)
    source.clips_by_start = {("videoalert-cam1", T0): [(clips_dir / "human_01.mp4").read_bytes()]}
    crash_before(monkeypatch, inference, "score")
    with pytest.raises(Crash):
        invoke(scheduled_event(T0 + timedelta(minutes=2)))
    assert [i["status"] for i in items(sess, res)] == ["PROCESSING"]

    # When the event is retried at once (Lambda's async retry) and the next minute's run comes
    invoke(scheduled_event(T0 + timedelta(minutes=2)))
    invoke(scheduled_event(T0 + timedelta(minutes=3)))
    # Then the cursor has not passed the minute another run still holds
    assert cursor(sess, res, "cam1") == "2026-11-23T10:00:00Z"

    # When the lease has expired and the schedule runs again
    later(deps, PAST_THE_LEASE)
    invoke(scheduled_event(T0 + timedelta(minutes=9)))
    # Then the minute is finished once, alerted once, and the cursor passes it
    (record,) = items(sess, res)
    assert (record["status"], record["decision"]) == ("DONE", "ALERT")
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1
    assert cursor(sess, res, "cam1") > "2026-11-23T10:00:00Z"


def test_an_upload_killed_during_inference_is_finished_by_the_schedule_without_its_event(
        wired, invoke, clips_dir, monkeypatch):
    # Given an upload whose container dies during inference (and whose event is never delivered again)
    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    crash_before(monkeypatch, inference, "score")
    with pytest.raises(Crash):
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    # When the scheduled run comes before the lease expires, nothing is taken over
    invoke(scheduled_event(datetime.now(UTC)))
    assert [i["status"] for i in items(sess, res)] == ["PROCESSING"]
    # and after it, the scheduled run finishes the clip
    later(deps, PAST_THE_LEASE)
    invoke(scheduled_event(datetime.now(UTC) + PAST_THE_LEASE))
    (record,) = items(sess, res)
    assert (record["status"], record["decision"], int(record["attempts"])) == ("DONE", "ALERT", 2)
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_a_crash_between_recording_and_claiming_is_recovered_too(wired, invoke, clips_dir, monkeypatch):
    # Given the process dies right after the record was created, before it was claimed
    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    crash_after(monkeypatch, deps.records, "create")
    with pytest.raises(Crash):
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    assert [i["status"] for i in items(sess, res)] == ["RECEIVED"]
    # When the schedule runs after the grace period
    later(deps, PAST_THE_LEASE)
    invoke(scheduled_event(datetime.now(UTC) + PAST_THE_LEASE))
    # Then the clip is processed
    (record,) = items(sess, res)
    assert (record["status"], record["decision"]) == ("DONE", "ALERT")


def test_redrive_without_ids_takes_over_expired_leases(wired, invoke, clips_dir, monkeypatch):
    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    crash_before(monkeypatch, inference, "score")
    with pytest.raises(Crash):
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    # A redrive within the lease leaves the clip to the run that holds it
    assert invoke({"action": "redrive"})["outcomes"] == []
    later(deps, PAST_THE_LEASE)
    answer = invoke({"action": "redrive"})
    assert [o["status"] for o in answer["outcomes"]] == ["DONE"]
    (record,) = items(sess, res)
    assert record["status"] == "DONE"


def test_a_clip_that_kills_every_run_ends_failed_after_the_attempt_limit_not_retried_forever(
        wired, invoke, clips_dir, monkeypatch):
    # Given a clip whose processing kills the container every time
    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    crash_before(monkeypatch, inference, "score", times=99)
    with pytest.raises(Crash):
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    # When the schedule keeps recovering it, lease after lease
    crashes = 0
    for _ in range(5):
        later(deps, PAST_THE_LEASE)
        try:
            invoke(scheduled_event(datetime.now(UTC)))
        except Crash:
            crashes += 1
    # Then it was tried three times in all, and is FAILED with the reason: redrive can take it from there
    (record,) = items(sess, res)
    assert (record["status"], record["reason"], int(record["attempts"])) == ("FAILED", "LEASE_EXPIRED", 3)
    assert crashes == 2
    assert "due_at" not in record


def test_a_run_whose_lease_was_taken_over_cannot_overwrite_the_result(wired, clips_dir):
    # Given run A claimed a clip, its lease expired, and run B took it over and finished it
    from fixtures.records import seed
    from videoalert.domain.errors import LeaseLost

    sess, res, deps, inference, _ = wired
    seed(deps.records, {"video_id": "cam1-x", "camera_id": "cam1", "status": "RECEIVED"})
    run_a = deps.records.claim("cam1-x")
    later(deps, PAST_THE_LEASE)
    run_b = deps.records.claim("cam1-x")
    assert (run_a.attempts, run_b.attempts) == (1, 2)
    deps.records.finish_rejected("cam1-x", "CORRUPT_VIDEO", "b decided", attempt=run_b.attempts)
    # When run A comes back and records its own result
    with pytest.raises(LeaseLost):
        deps.records.finish_failed("cam1-x", "INFERENCE_FAILED", "a is late", attempt=run_a.attempts)
    # Then B's result stands
    assert deps.records.get("cam1-x").reason_detail == "b decided"


# ------------------------------------------------------------------------------------ Invoke errors

def stubbed_lambda(sess):
    client = sess.client("lambda")
    return client, Stubber(client)


def use_lambda_client(deps, client, sleeps):
    from videoalert.aws.inference import LambdaInferenceClient

    deps.inference = LambdaInferenceClient(client, "videoalert-inference", sleep=sleeps.append)


def ok_payload(video_id):
    import io
    import json

    from botocore.response import StreamingBody

    body = json.dumps({"ok": True, "video_id": video_id, "model_version": "m", "threshold": 0.5,
                       "frames": [{"t": 0.0, "score": 0.9}, {"t": 1.0, "score": 0.9}], "top_embeddings": []}).encode()
    return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}


@pytest.mark.parametrize("error", ["TooManyRequestsException", "ServiceException", "EC2ThrottledException"])
def test_a_throttled_or_failing_invoke_is_retried_with_backoff_then_recorded_failed(wired, invoke, clips_dir, error):
    # Given the Lambda service refuses every Invoke of the inference function
    sess, res, deps, _, _ = wired
    client, stubber = stubbed_lambda(sess)
    for _ in range(4):
        stubber.add_client_error("invoke", error, http_status_code=429 if "Throttl" in error or "Many" in error
                                 else 500)
    sleeps: list[float] = []
    use_lambda_client(deps, client, sleeps)
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    # When the upload is processed
    with stubber:
        answer = invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
        stubber.assert_no_pending_responses()
    # Then it was tried 4 times with growing (jittered) pauses, and the clip is FAILED, not left PROCESSING
    assert len(sleeps) == 3 and all(0 <= s <= cap for s, cap in zip(sleeps, (0.5, 1.0, 2.0), strict=True))
    (record,) = items(sess, res)
    assert (record["status"], record["reason"]) == ("FAILED", "INFERENCE_FAILED")
    assert error in record["reason_detail"]
    assert answer["outcomes"][0]["status"] == "FAILED"


def test_a_throttle_that_clears_within_the_retries_scores_the_clip(wired, invoke, clips_dir):
    sess, res, deps, _, _ = wired
    client, stubber = stubbed_lambda(sess)
    stubber.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    from videoalert.domain.ids import upload_video_id

    stubber.add_response("invoke", ok_payload(upload_video_id("cam1", res.video_bucket, "uploads/cam1/a.mp4", etag)))
    sleeps: list[float] = []
    use_lambda_client(deps, client, sleeps)
    with stubber:
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    (record,) = items(sess, res)
    assert (record["status"], record["decision"]) == ("DONE", "ALERT") and len(sleeps) == 1


def test_a_network_error_on_invoke_is_recorded_failed(wired, invoke, clips_dir, monkeypatch):
    from botocore.exceptions import ReadTimeoutError

    sess, res, deps, _, _ = wired
    client = sess.client("lambda")

    def timeout(**kwargs):
        raise ReadTimeoutError(endpoint_url="https://lambda.us-east-1.amazonaws.com")

    monkeypatch.setattr(client, "invoke", timeout)
    sleeps: list[float] = []
    use_lambda_client(deps, client, sleeps)
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    (record,) = items(sess, res)
    assert (record["status"], record["reason"]) == ("FAILED", "INFERENCE_FAILED")
    assert len(sleeps) == 3
