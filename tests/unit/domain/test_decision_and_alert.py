"""The k-of-n rule and the alert message users receive."""
import json

import pytest

from fixtures.records import record_from
from videoalert.domain.alert_message import build_alert
from videoalert.domain.rule import Rule, decide
from videoalert.domain.types import Decision

ALERT, NO_ALERT = Decision.ALERT, Decision.NO_ALERT


def test_two_frames_at_the_threshold_alert_and_one_does_not():
    rule = Rule(min_frames=2)
    assert decide([0.5, 0.7, 0.1], rule, model_threshold=0.5).decision == ALERT
    one = decide([0.99, 0.49, 0.1], rule, model_threshold=0.5)
    assert one.decision == NO_ALERT and one.frames_over_threshold == 1 and one.deciding_score == 0.49


def test_the_camera_threshold_overrides_the_models():
    assert decide([0.6, 0.6], Rule(threshold=0.7), model_threshold=0.5).decision == NO_ALERT
    assert decide([0.6, 0.6], Rule(), model_threshold=0.5).decision == ALERT


def test_no_frames_is_no_alert():
    verdict = decide([], Rule(), model_threshold=0.5)
    assert verdict.decision == NO_ALERT and verdict.max_score == 0.0


@pytest.mark.parametrize("bad", [{"min_frames": 0}, {"threshold": 1.5}, {"threshold": 0.0}])
def test_invalid_rules_are_refused(bad):
    with pytest.raises(ValueError):
        Rule(**bad)


def test_rules_round_trip_through_the_table_item():
    rule = Rule(threshold=0.8, min_frames=3, version=4)
    assert Rule.from_item(rule.to_item()) == rule
    assert Rule.from_item(None) == Rule()


def test_the_alert_names_camera_and_time_and_carries_filterable_attributes():
    record = {"video_id": "cam1-20261123T100100Z", "camera_id": "cam1", "window_start": "2026-11-23T10:01:00Z",
              "window_end": "2026-11-23T10:02:00Z", "max_score": 0.98765, "frames_over_threshold": 4,
              "threshold": 0.6, "model_version": "m1", "s3_bucket": "b", "s3_key": "videos/cam1/x.mp4",
              "status": "DONE", "decision": "ALERT"}
    alert = build_alert(record_from(record))
    assert alert.subject == "Person detected on cam1 at 2026-11-23 10:01 UTC"
    body = json.loads(alert.body)
    assert body["video"]["uri"] == "s3://b/videos/cam1/x.mp4" and body["score"] == 0.9877
    assert body["window"] == {"start": "2026-11-23T10:01:00Z", "end": "2026-11-23T10:02:00Z"}
    assert "videoalert feedback cam1-20261123T100100Z" in body["feedback"]
    assert alert.attributes["camera_id"]["StringValue"] == "cam1"
    assert alert.attributes["decision"]["StringValue"] == "ALERT"
    # a repeat of this alert (at-least-once delivery) carries the same key, so a subscriber can drop it
    assert alert.attributes["dedup_key"]["StringValue"] == "cam1-20261123T100100Z"
