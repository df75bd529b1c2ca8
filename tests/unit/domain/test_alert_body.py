"""The alert people read and machines parse: the text body with local time and links, JSON per protocol."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from fixtures.records import record_from
from videoalert.domain.alert_message import JSON_PROTOCOLS, AlertLinks, build_alert
from videoalert.domain.rule import Rule

RECORD = {"video_id": "front-20261204T053100Z", "camera_id": "front", "window_start": "2026-12-04T05:31:00Z",
          "max_score": 0.9576, "frames_over_threshold": 17, "threshold": 0.896, "model_version": "m7",
          "s3_bucket": "b", "s3_key": "videos/front/2026/12/04/front-20261204T053100Z.mp4", "status": "DONE",
          "decision": "ALERT", "rule_version": 3, "region": "tiles",
          "frame_scores": [{"t": float(t), "score": 0.9 if t < 17 else 0.1, "region": "full"} for t in range(60)]
          + [{"t": 0.0, "score": 0.5, "region": "tile", "box": [0, 0, 0.5, 0.5]}]}
LINKS = AlertLinks(expires_at=datetime(2026, 12, 4, 17, 31, tzinfo=UTC),
                   clip_url="https://b.s3.amazonaws.com/videos/front/clip.mp4?X-Amz-Signature=c",
                   frame_url="https://b.s3.amazonaws.com/videos/front/frame.best.jpg?X-Amz-Signature=f",
                   false_positive_url="https://links.example/label?v=front-20261204T053100Z&t=v1.a.b",
                   true_positive_url="https://links.example/label?v=front-20261204T053100Z&t=v1.c.d",
                   review_url="https://links.example/review?c=front&t=v1.e.f")


def alert(rule: Rule | None = None, links: AlertLinks | None = LINKS):
    item = dict(RECORD) | ({"rule": rule.to_item()} if rule else {})
    return build_alert(record_from(item), links)


def test_the_subject_and_text_give_the_cameras_local_time_and_utc():
    message = alert(Rule(timezone="Europe/Paris"))
    assert message.subject == "Person detected on front at 2026-12-04 06:31 CET"
    assert "When:  Friday 04 December 2026, 06:31 (Europe/Paris; 05:31 UTC)" in message.text
    assert "Score: 0.96 (alerts at 0.90); 17 of 60 sampled frames at or over it" in message.text
    utc = alert()
    assert utc.subject == "Person detected on front at 2026-12-04 05:31 UTC" and "; 05:31 UTC" not in utc.text


def test_the_text_puts_each_link_on_its_own_line_after_what_it_is():
    lines = alert().text.splitlines()
    for caption, url in (("Best frame (JPEG):", LINKS.frame_url), ("The clip (MP4):", LINKS.clip_url),
                         ("Not a person:", LINKS.false_positive_url), ("Correct, a person:", LINKS.true_positive_url),
                         ("Recent events on front:", LINKS.review_url)):
        assert lines[lines.index(caption) + 1] == url
    assert "s3://" not in alert().text


def test_each_protocol_gets_its_form_text_for_people_json_for_machines():
    message = alert(Rule(timezone="America/New_York"))
    structured = json.loads(message.structured())
    assert structured["default"] == structured["email"] == message.text
    for protocol in JSON_PROTOCOLS:
        body = json.loads(structured[protocol])
        assert body["video_id"] == RECORD["video_id"] and body["timezone"] == "America/New_York"
        assert body["local_time"] == "2026-12-04T00:31:00-05:00" and body["frames_sampled"] == 60
        assert body["links"]["not_a_person"] == LINKS.false_positive_url
        assert body["video"]["uri"].startswith("s3://b/")  # machines keep the object's address too
    assert message.attributes["camera_id"]["StringValue"] == "front"


def test_without_links_the_alert_still_says_how_to_give_feedback():
    message = alert(links=None)
    assert "links" not in json.loads(message.body)
    assert "videoalert feedback front-20261204T053100Z" in message.text


def test_an_unknown_zone_falls_back_to_utc_and_says_so():
    message = alert(Rule(timezone="Mars/Olympus_Mons"))
    assert "UTC (time zone Mars/Olympus_Mons unknown here)" in message.text
    assert message.subject.endswith("05:31 UTC")
