"""Uploads through the dispatcher handler: one record, one alert, clear statuses for bad input."""
from __future__ import annotations

import pytest

from handlers.conftest import upload_event
from videoalert_local.emulator import drain_alerts


def put_upload(sess, bucket, key, body):
    s3 = sess.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return s3.head_object(Bucket=bucket, Key=key)["ETag"]


def records(sess, res):
    return sess.resource("dynamodb").Table(res.videos_table).scan()["Items"]


def test_replaying_an_upload_event_three_times_gives_one_record_and_one_alert(wired, invoke, clips_dir):
    # Given a clip uploaded for a registered camera, and a model that sees a person in two frames
    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/front door.mp4", (clips_dir / "human_01.mp4").read_bytes())
    event = upload_event(res.video_bucket, "uploads/cam1/front+door.mp4", etag)

    # When the same event arrives three times
    answers = [invoke(event) for _ in range(3)]

    # Then there is one record, decided ALERT, and exactly one alert on the subscribed queue
    items = records(sess, res)
    assert len(items) == 1
    record = items[0]
    assert record["status"] == "DONE" and record["decision"] == "ALERT"
    assert record["s3_key"].startswith("videos/cam1/") and record["s3_key"].endswith(f"{record['video_id']}.mp4")
    alerts = drain_alerts(sess, res.alert_queue_url)
    assert len(alerts) == 1
    assert alerts[0]["subject"].startswith("Person detected on cam1 at ")
    assert alerts[0]["attributes"] == {"camera_id": "cam1", "decision": "ALERT", "dedup_key": record["video_id"]}
    assert alerts[0]["body"]["video_id"] == record["video_id"]
    assert record["alert_message_id"] == alerts[0]["message_id"]
    assert len(inference.calls) == 1
    assert [a["outcomes"][0]["status"] for a in answers] == ["DONE", "DUPLICATE", "DUPLICATE"]


def test_a_clip_below_the_rule_is_recorded_without_alert(wired, invoke, clips_dir):
    # Given a model that sees a person in only one sampled frame (the rule needs two)
    sess, res, deps, inference, _ = wired
    inference.scores = [0.97, 0.2, 0.1]
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "horse_01.mp4").read_bytes())
    # When the upload is processed
    invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    # Then the record holds the scores and the reason, and no alert is sent
    (record,) = records(sess, res)
    assert record["decision"] == "NO_ALERT"
    assert int(record["frames_over_threshold"]) == 1
    assert [float(f["score"]) for f in record["frame_scores"]] == [0.97, 0.2, 0.1]
    assert record["model_version"] == "test-model" and record["rule"]["min_frames"] == 2
    assert drain_alerts(sess, res.alert_queue_url) == []


@pytest.mark.parametrize(
    ("key", "body", "reason"),
    [("uploads/ghost/a.mp4", b"\x00" * 100, "UNKNOWN_CAMERA"),
     ("uploads/cam1/empty.mp4", b"", "EMPTY_VIDEO"),
     ("uploads/cam1/huge.mp4", b"\x00" * 2048, "TOO_LARGE")],
    ids=["unknown-camera", "zero-bytes", "over-size-limit"],
)
def test_bad_uploads_end_rejected_with_their_reason_and_never_reach_the_model(wired, invoke, key, body, reason):
    # Given an upload that cannot be a usable clip (limit lowered to 1 KiB for the huge case)
    sess, res, deps, inference, _ = wired
    deps.settings = deps.settings.__class__(**{**deps.settings.__dict__, "max_video_bytes": 1024})
    etag = put_upload(sess, res.video_bucket, key, body)
    # When its event arrives twice
    invoke(upload_event(res.video_bucket, key, etag))
    invoke(upload_event(res.video_bucket, key, etag))
    # Then one REJECTED record says why, the model is never called and nothing is alerted
    (record,) = records(sess, res)
    assert (record["status"], record["reason"]) == ("REJECTED", reason)
    assert inference.calls == []
    assert drain_alerts(sess, res.alert_queue_url) == []


def test_a_video_the_model_cannot_decode_is_rejected_with_the_inference_reason(wired, invoke):
    sess, res, deps, inference, _ = wired
    inference.reject_with = "CORRUPT_VIDEO"
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/x.mp4", b"not a video at all")
    invoke(upload_event(res.video_bucket, "uploads/cam1/x.mp4", etag))
    (record,) = records(sess, res)
    assert (record["status"], record["reason"]) == ("REJECTED", "CORRUPT_VIDEO")


def test_an_inference_timeout_is_recorded_failed_and_a_redrive_finishes_it(wired, invoke, clips_dir):
    # Given the inference function times out on the first call
    sess, res, deps, inference, _ = wired
    inference.fail_next = 1
    etag = put_upload(sess, res.video_bucket, "uploads/cam2/a.mp4", (clips_dir / "human_02.mp4").read_bytes())
    invoke(upload_event(res.video_bucket, "uploads/cam2/a.mp4", etag))
    (record,) = records(sess, res)
    assert (record["status"], record["reason"]) == ("FAILED", "INFERENCE_FAILED")
    assert drain_alerts(sess, res.alert_queue_url) == []
    # When the failed clips are redriven (twice: the second finds nothing to do)
    invoke({"action": "redrive"})
    invoke({"action": "redrive", "video_ids": [record["video_id"]]})
    # Then the clip is DONE with one alert, nothing lost and nothing duplicated
    (record,) = records(sess, res)
    assert record["status"] == "DONE" and record["decision"] == "ALERT" and int(record["attempts"]) == 2
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_a_failed_sns_publish_is_retried_by_the_replay_and_sent_once(wired, invoke, clips_dir, monkeypatch):
    # Given SNS fails on the first publish
    sess, res, deps, inference, _ = wired
    real_publish = deps.alerts.publish
    failures = iter([RuntimeError("SNS throttled")])

    def flaky_publish(message):
        for error in failures:
            raise error
        return real_publish(message)

    monkeypatch.setattr(deps.alerts, "publish", flaky_publish)
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    event = upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag)
    # When the first delivery raises (Lambda retries the async event) and the event is delivered again, twice
    from videoalert.app.outbox import AlertNotSent

    with pytest.raises(AlertNotSent):
        invoke(event)
    invoke(event)
    invoke(event)
    # Then exactly one alert went out and the record holds its message id; the model ran once
    alerts = drain_alerts(sess, res.alert_queue_url)
    (record,) = records(sess, res)
    assert len(alerts) == 1 and record["alert_message_id"] == alerts[0]["message_id"]
    assert len(inference.calls) == 1


@pytest.mark.parametrize("event", [
    "not even a dict", {}, {"Records": []}, {"Records": [{"eventSource": "aws:sqs"}]},
    {"source": "aws.events", "detail-type": "Scheduled Event", "time": "yesterday"},
    {"action": "redrive", "video_ids": "cam1"},
])
def test_malformed_events_are_dropped_with_a_clear_error_not_a_crash(wired, invoke, event):
    answer = invoke(event)
    assert answer["ok"] is False and answer["error"]["code"] == "MALFORMED_EVENT"
    assert answer["error"]["message"]


def test_an_object_outside_uploads_is_ignored(wired, invoke):
    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1.mp4", b"x")
    answer = invoke(upload_event(res.video_bucket, "uploads/cam1.mp4", etag))
    assert answer["ok"] is True and answer["outcomes"] == []
    assert records(sess, res) == []


def test_a_replay_two_hours_later_still_changes_nothing(wired, invoke, clips_dir):
    # Given an upload processed and alerted, its event replayed three times at once
    from datetime import timedelta

    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    event = upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag)
    for _ in range(3):
        invoke(event)
    # When the same event is delivered again two hours later (past any in-progress lease)
    real_clock = deps.records.clock
    deps.records.clock = lambda: real_clock() + timedelta(hours=2)
    answer = invoke(event)
    # Then still one record and one alert, and the model ran once
    assert answer["outcomes"][0]["status"] == "DUPLICATE"
    assert len(records(sess, res)) == 1
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1
    assert len(inference.calls) == 1


def test_a_clip_left_processing_by_a_crashed_run_is_taken_over_after_the_lease(wired, invoke, clips_dir):
    # Given a run that claimed the clip and died before recording a result
    from datetime import timedelta

    sess, res, deps, inference, _ = wired
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    event = upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag)
    inference.fail_next = 0
    original_score = inference.score
    inference.score = lambda request: (_ for _ in ()).throw(SystemExit("container killed"))
    with pytest.raises(SystemExit):
        invoke(event)
    inference.score = original_score
    (record,) = records(sess, res)
    assert record["status"] == "PROCESSING"
    # When the event is retried within the lease, nothing happens (another run holds it); after it, the clip is
    # finished once
    assert invoke(event)["outcomes"][0]["status"] == "IN_PROGRESS"
    real_clock = deps.records.clock
    deps.records.clock = lambda: real_clock() + timedelta(minutes=20)
    assert invoke(event)["outcomes"][0]["status"] == "DONE"
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_log_lines_of_a_clip_are_json_with_its_video_id_and_camera(wired, invoke, clips_dir):
    # Given an upload whose inference fails (the logic logs an error for it)
    import io
    import json as _json
    import logging

    sess, res, deps, inference, _ = wired
    inference.fail_next = 1
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    buffer = io.StringIO()
    handlers = logging.getLogger("videoalert").handlers
    streams = [h.setStream(buffer) for h in handlers]
    try:
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    finally:
        for h, stream in zip(handlers, streams, strict=True):
            h.setStream(stream)
    # Then the error line is structured JSON that names the clip and the camera
    (record,) = records(sess, res)
    lines = [_json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "ERROR" and "inference failed" in line["message"]]
    assert errors and errors[0]["video_id"] == record["video_id"] and errors[0]["camera_id"] == "cam1"


def test_the_inference_request_carries_sigv4_urls_of_the_clip_that_are_never_stored(wired, monkeypatch, clips_dir):
    # Given the dispatcher as deployed (its own wiring, clip URLs on) and an uploaded clip
    from urllib.parse import parse_qs, urlsplit

    import dispatcher

    from handlers.conftest import LambdaContext, ListClipSource, ScriptedInference
    from videoalert.wiring import build_dependencies

    sess, res, _, _, _ = wired
    inference = ScriptedInference(sess.client("s3"))
    deps = build_dependencies(res.settings(inference_urls=True), session=sess, inference=inference,
                              clip_source=ListClipSource())
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    # When the upload is processed
    dispatcher.handler(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag), LambdaContext())
    # Then the request names the stored clip and gives one SigV4 GET URL for it, valid 15 minutes
    (call,) = inference.calls
    (url,) = call["urls"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.scheme == "https" and parts.path.endswith("/" + call["key"])
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["900"]
    # and the URL (a credential) is in no record
    (record,) = records(sess, res)
    assert "X-Amz-Signature" not in str(record)


def test_with_clip_urls_off_the_request_names_bucket_and_key_only(wired, invoke, clips_dir):
    sess, res, deps, inference, _ = wired
    assert deps.settings.inference_urls is False  # the in-process emulator serves no HTTP
    etag = put_upload(sess, res.video_bucket, "uploads/cam1/a.mp4", (clips_dir / "human_01.mp4").read_bytes())
    invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    (call,) = inference.calls
    assert "urls" not in call and call["bucket"] == res.video_bucket


def test_every_stored_item_reads_as_a_typed_record_and_back_unchanged(wired, invoke, clips_dir):
    # Given an alerted upload, a rejected one and a failed one, written by the real dispatcher
    from videoalert.domain.records import VideoRecord
    from videoalert.store.dynamo_values import from_dynamo

    sess, res, deps, inference, _ = wired
    for name, size in (("a.mp4", None), ("empty.mp4", 0)):
        body = b"" if size == 0 else (clips_dir / "human_01.mp4").read_bytes()
        invoke(upload_event(res.video_bucket, f"uploads/cam1/{name}",
                            put_upload(sess, res.video_bucket, f"uploads/cam1/{name}", body)))
    inference.fail_next = 1
    horse = (clips_dir / "horse_01.mp4").read_bytes()
    invoke(upload_event(res.video_bucket, "uploads/cam1/b.mp4",
                        put_upload(sess, res.video_bucket, "uploads/cam1/b.mp4", horse)))
    # When each raw item is read as a VideoRecord and written back as an item
    items = [from_dynamo(i) for i in records(sess, res)]
    # Then nothing is lost, renamed or added
    assert sorted(i["status"] for i in items) == ["DONE", "FAILED", "REJECTED"]
    assert all(VideoRecord.from_item(i).to_item() == i for i in items)
