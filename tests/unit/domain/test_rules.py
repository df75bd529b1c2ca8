"""Per-camera rules: threshold, k of n frames, the aggregate, enabled, per-region decisions, stored form."""
import pytest

from videoalert.domain.rule import Rule, decide, decide_frames
from videoalert.domain.types import Decision
from videoalert_contract.inference import FrameScore

ALERT, NO_ALERT = Decision.ALERT, Decision.NO_ALERT


def scored(frames):
    """Frame entries as the inference response has them."""
    return [FrameScore.from_payload(f) for f in frames]


def test_median_of_the_top_k_ignores_a_single_spike_that_max_would_alert_on():
    # Given one frame at 0.99 and the next best just under the threshold, with k=1
    scores = [0.99, 0.48, 0.1, 0.1]
    # When the aggregate is max, the spike alerts; when it is the median of the top 3, it does not
    assert decide(scores, Rule(min_frames=1), 0.5).decision == ALERT
    median = decide(scores, Rule(min_frames=1, aggregate="median_top_k", top_k=3), 0.5)
    # Then the median rule says why, and its deciding score is that median
    assert median.decision == NO_ALERT and median.deciding_score == pytest.approx(0.48)
    assert "median of top 3" in median.reason


def test_a_disabled_rule_scores_but_never_alerts():
    verdict = decide([0.9, 0.9, 0.9], Rule(enabled=False, version=7), 0.5)
    assert verdict.decision == NO_ALERT and verdict.frames_over_threshold == 3
    assert "disabled by rule v7" in verdict.reason


def test_each_region_is_decided_on_its_own_scores():
    # Given two frames where the person is in a box region and the full frame scores low
    frames = [{"t": 0, "score": 0.2, "region": "full"}, {"t": 0, "score": 0.9, "region": [10, 10, 50, 80]},
              {"t": 1, "score": 0.3, "region": "full"}, {"t": 1, "score": 0.8, "region": [10, 10, 50, 80]}]
    # When the clip is decided with k=2
    verdict = decide_frames(scored(frames), Rule(min_frames=2), 0.5)
    # Then the box region alerts and is named as the deciding region
    assert verdict.decision == ALERT and verdict.region == "[10,10,50,80]"
    # And pooling the two regions' frames would not have reached the same verdict by mixing them
    assert (
        decide_frames(scored(f for f in frames if f["region"] == "full"), Rule(min_frames=2), 0.5).decision == NO_ALERT
    )


def test_frames_without_a_region_are_the_full_frame():
    assert decide_frames(scored([{"t": 0, "score": 0.9}, {"t": 1, "score": 0.9}]), Rule(), 0.5).region == "full"


def test_rules_round_trip_with_every_field_and_old_items_get_defaults():
    rule = Rule(
        threshold=0.8,
        min_frames=3,
        aggregate="median_top_k",
        top_k=5,
        cooldown_s=120,
        max_event_s=600,
        fp_distance=0.2,
        enabled=False,
        version=4,
    )
    assert Rule.from_item(rule.to_item()) == rule
    old = Rule.from_item({"threshold": 0.7, "min_frames": 2, "version": 3})
    assert (old.aggregate, old.cooldown_s, old.enabled, old.version) == ("max", 300, True, 3)


@pytest.mark.parametrize("bad", [{"aggregate": "mean"}, {"top_k": 0}, {"cooldown_s": -1}, {"fp_distance": 1.5}])
def test_invalid_rules_are_refused(bad):
    with pytest.raises(ValueError):
        Rule(**bad)


def test_only_editable_fields_can_be_changed():
    with pytest.raises(ValueError, match="version"):
        Rule().with_changes(version=9)
    assert Rule().with_changes(threshold=0.9).threshold == 0.9
