"""Zones and masks in the rule: stored with its version, parsed back, and applied to regions before deciding."""
from __future__ import annotations

import pytest

from videoalert.domain.rule import Rule, decide_frames
from videoalert.domain.types import Decision
from videoalert_contract.inference import FrameScore
from videoalert_contract.zones import parse_polygon

LEFT = parse_polygon("0,0 0.5,0 0.5,1 0,1")
RIGHT_TOP = parse_polygon("0.5,0 1,0 1,0.5 0.5,0.5")


def tiles(box, score=0.9, n=3):
    return [FrameScore(float(t), 0.1, "full") for t in range(n)] + [
        FrameScore(float(t), score, "tile", tuple(box)) for t in range(n)]


def test_zones_masks_and_timezone_round_trip_through_the_item():
    rule = Rule(zones=(LEFT,), masks=(RIGHT_TOP,), timezone="Europe/Paris", version=5)
    item = rule.to_item()
    assert item["zones"] == [[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]]
    assert Rule.from_item(item) == rule
    assert "zones=1 masks=1 tz=Europe/Paris" in rule.describe()


def test_zones_carry_names_stored_only_when_given_and_an_older_rule_s_zones_read_unnamed():
    # Given a rule item stored before zones had names
    old = Rule(zones=(LEFT, RIGHT_TOP), version=3).to_item()
    assert "zone_names" not in old
    # Then its zones read back unnamed, shown as "zone N", and it writes back unchanged
    rule = Rule.from_item(old)
    assert rule.zone_names == () and [rule.zone_label(i) for i in range(2)] == ["zone 1", "zone 2"]
    assert rule.to_item() == old
    # When the zones are named (one of them), Then the names travel with the rule's item (a record's snapshot too)
    named = rule.with_changes(zone_names=("  front   door ", ""))
    assert named.zone_names == ("front door", "") and named.to_item()["zone_names"] == ["front door", ""]
    assert Rule.from_item(named.to_item()) == named and named.zone_label(1) == "zone 2"
    # And new zones do not inherit the old ones' names; names must match the zones, differ and be short text
    assert named.with_changes(zones=(LEFT,)).zone_names == ()
    for names in (("a",), ("a", "A"), ("x" * 33, ""), ("bell\x07", "")):
        with pytest.raises(ValueError):
            rule.with_changes(zone_names=names)


def test_zone_changes_are_rule_changes():
    rule = Rule().with_changes(zones=(LEFT,), masks=(), timezone="Asia/Tokyo")
    assert rule.zones == (LEFT,) and rule.timezone == "Asia/Tokyo"
    with pytest.raises(ValueError):
        Rule(timezone="not a zone!")
    with pytest.raises(ValueError):
        Rule(zones=(((0.0, 0.0), (2.0, 0.0), (1.0, 1.0)),))


def test_a_person_outside_every_zone_does_not_alert_and_inside_one_does():
    frames = tiles([0.6, 0.1, 0.9, 0.4])  # a tile on the right
    assert decide_frames(frames, Rule(), 0.5).decision == Decision.ALERT
    assert decide_frames(frames, Rule(zones=(LEFT,)), 0.5).decision == Decision.NO_ALERT
    assert decide_frames(tiles([0.1, 0.1, 0.4, 0.4]), Rule(zones=(LEFT,)), 0.5).decision == Decision.ALERT


def test_a_masked_region_is_ignored_entirely():
    frames = tiles([0.6, 0.0, 1.0, 0.4])
    verdict = decide_frames(frames, Rule(masks=(RIGHT_TOP,)), 0.5)
    assert verdict.decision == Decision.NO_ALERT and verdict.max_score == 0.1  # only the whole frames count


def test_tune_replays_stored_scores_under_the_cameras_zones():
    from fixtures.records import record_from
    from videoalert.domain.whatif import candidates, evaluate

    # Given two alerted clips, a statue's tiles on the right (labelled not a person) and a person's on the left
    def clip(video_id, box, label):
        return record_from({"video_id": video_id, "camera_id": "cam1", "status": "DONE", "decision": "ALERT",
                            "threshold": 0.5, "model_threshold": 0.5, "label": label,
                            "frame_scores": [f.to_payload() for f in tiles(box)]})

    records = [clip("statue", [0.6, 0.1, 0.9, 0.4], "false_positive"), clip("person", [0.1, 0.1, 0.4, 0.4],
                                                                            "true_positive")]
    # When the what-if replays them under a rule whose zone is the left half (and under every candidate of it)
    outcome = evaluate(records, Rule(zones=(LEFT,), cooldown_s=0))
    # Then the statue no longer alerts and the person still does
    assert (outcome.false_positives_removed, outcome.people_missed, outcome.alerts_after) == (1, 0, 1)
    assert all(r.zones == (LEFT,) for r in candidates(Rule(zones=(LEFT,)), 0.5))
