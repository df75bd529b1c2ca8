"""The feedback function URL contract: 400 for bad bodies, 404 for unknown videos, 200 with what changed, idempotent."""
from __future__ import annotations

import json

import pytest

from fixtures.records import seed
from handlers.conftest import LambdaContext
from handlers.loop_support import feedback_event


def call(loop, event):
    answer = loop.feedback.handler(event, LambdaContext())
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize(("raw", "message"), [
    ("not json", "not JSON"),
    ('["a list"]', "JSON object"),
    ('{"video_id": "x", "label": "maybe"}', "label must be one of"),
    ('{"label": "false_positive"}', "video_id"),
    ('{"video_id": "x", "label": "true_positive", "tags": ["Bad Tag!"]}', "tag"),
], ids=["not-json", "not-object", "bad-label", "no-video", "bad-tag"])
def test_a_bad_body_is_a_400_that_says_what_is_wrong(loop, raw, message):
    status, body = call(loop, feedback_event(None, raw_body=raw))
    assert status == 400 and message in body["message"]


def test_an_unknown_video_is_a_404(loop):
    status, body = call(loop, feedback_event({"video_id": "cam1-20991231T000000Z", "label": "false_positive"}))
    assert status == 404 and "cam1-20991231T000000Z" in body["message"]


def test_the_same_label_twice_changes_nothing_the_second_time(loop):
    # Given an alerted clip labelled false positive once
    video_id = loop.minute(0, "horse_02")["video_id"]
    first = loop.label(video_id, "false_positive", tags=["statue"])
    before = loop.deps.records.get(video_id).to_item()
    # When the same label arrives again (a retried request, a second click)
    second = loop.label(video_id, "false_positive", tags=["statue"])
    # Then it reports no change, the memory holds the frames once and the history one entry
    assert first["body"]["changed"] is True and second["body"]["changed"] is False
    assert second["status"] == 200 and second["body"]["memory_added"] == 0
    assert len(loop.deps.memory.entries("cam1")) == first["body"]["memory_added"] > 0
    after = loop.deps.records.get(video_id).to_item()
    assert after["label_history"] == before["label_history"] and len(after["label_history"]) == 1


def test_changing_a_label_keeps_the_history_and_forgets_the_videos_own_frames(loop):
    video_id = loop.minute(0, "horse_02")["video_id"]
    added = loop.label(video_id, "false_positive")["body"]["memory_added"]
    answer = loop.label(video_id, "true_positive")
    record = loop.deps.records.get(video_id).to_item()
    assert answer["body"]["previous_label"] == "false_positive" and answer["body"]["memory_removed"] == added > 0
    assert [h["label"] for h in record["label_history"]] == ["false_positive", "true_positive"]
    assert {e.kind for e in loop.deps.memory.entries("cam1")} == {"true_positive"}


def test_a_video_still_being_processed_cannot_be_labelled(loop):
    seed(loop.deps.records, {"video_id": "cam1-pending", "camera_id": "cam1", "status": "RECEIVED",
                             "window_start": "2026-11-23T10:00:00Z"})
    status, body = call(loop, feedback_event({"video_id": "cam1-pending", "label": "false_positive"}))
    assert status == 409 and "RECEIVED" in body["message"]
