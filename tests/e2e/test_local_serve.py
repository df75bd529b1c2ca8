"""Issue 21, case 6: the local run's event loop (`run-local --serve`) survives an event it cannot handle."""
from __future__ import annotations

import json

from fixtures.media import cfr_times, encode_clip


def queue_event(pipeline, event):
    pipeline.sess.client("sqs").send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(event))


def test_an_event_with_a_non_string_key_is_dropped_and_the_next_upload_still_processed(pipeline, tmp_path):
    # Given an S3 event whose key is a number, queued before a real upload's event
    queue_event(pipeline, {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                        "s3": {"bucket": {"name": pipeline.res.video_bucket}, "object": {"key": 7}}}]})
    clip = tmp_path / "a.mp4"
    clip.write_bytes(encode_clip(cfr_times(3, 10)))
    key = pipeline.upload("cam1", clip)
    # When the loop delivers them, Then it goes on past the bad one and the upload is recorded
    pipeline.deliver()
    assert pipeline.record_for_upload(key)["status"] == "DONE"


def test_an_event_the_handler_raises_on_is_set_aside_and_the_loop_goes_on(pipeline, tmp_path, monkeypatch, capsys):
    # Given a dispatcher that raises on one event (a fault of the emulator, SNS down: anything)
    from videoalert_local import handlers as local_handlers

    real = pipeline.dispatcher.handler
    calls = []

    def flaky(event, context):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("SNS is down")
        return real(event, context)

    monkeypatch.setattr(pipeline.dispatcher, "handler", flaky)
    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    for name in ("a.mp4", "b.mp4"):
        clip = tmp_path / name
        clip.write_bytes(encode_clip(cfr_times(3, 10)))
        pipeline.upload("cam1", clip)
    # When the loop delivers both
    pipeline.deliver()
    # Then the second is processed, and the first is kept whole in the dead-letter file with its error, and said
    assert len(calls) == 2
    assert len([r for r in pipeline.records() if r["status"] == "DONE"]) == 1
    (letter,) = [json.loads(line) for line in (tmp_path / "dead-letters.jsonl").read_text().splitlines()]
    assert letter["error"] == "RuntimeError: SNS is down" and letter["event"] == calls[0]
    assert "dead-letters.jsonl" in capsys.readouterr().err


def test_a_message_that_is_not_json_is_dropped_and_the_next_upload_still_processed(pipeline, tmp_path, monkeypatch):
    # Given a queued message whose body is not JSON at all, before a real upload's event
    from videoalert_local import handlers as local_handlers

    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    pipeline.sess.client("sqs").send_message(QueueUrl=pipeline.queue_url, MessageBody="{not json")
    clip = tmp_path / "a.mp4"
    clip.write_bytes(encode_clip(cfr_times(3, 10)))
    key = pipeline.upload("cam1", clip)
    # When the loop delivers them, Then the text reaches the dispatcher as a malformed event (dropped, logged), and
    # the upload is recorded
    assert pipeline.deliver() == 2
    assert pipeline.record_for_upload(key)["status"] == "DONE"


def test_a_scheduled_run_the_dispatcher_raises_on_is_set_aside_too(tmp_path, monkeypatch):
    # Given a dispatcher whose scheduled run raises (the serve loop sends one every SERVE_TICK_S)
    from datetime import UTC, datetime

    from videoalert_local import handlers as local_handlers
    from videoalert_local.events import scheduled_event

    class Failing:
        @staticmethod
        def handler(event, context):
            raise RuntimeError("KVS is down")

    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    event = scheduled_event(datetime(2026, 12, 3, 22, 44, tzinfo=UTC))
    # When the loop hands it over, Then it answers nothing and the event is kept with its error
    assert local_handlers.handle(Failing, event) == {}
    (letter,) = [json.loads(line) for line in (tmp_path / "dead-letters.jsonl").read_text().splitlines()]
    assert letter == {"error": "RuntimeError: KVS is down", "event": event}
