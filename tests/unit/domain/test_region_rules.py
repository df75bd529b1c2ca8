"""The camera rule's `regions` field and how motion-region scores are counted by the decision."""
import pytest

from videoalert.domain.rule import Rule, decide_frames
from videoalert.domain.types import Decision
from videoalert_contract.inference import DEFAULT_REGIONS, FrameScore

ALERT, NO_ALERT = Decision.ALERT, Decision.NO_ALERT


def scored(frames):
    """Frame entries as the inference response has them."""
    return [FrameScore.from_payload(f) for f in frames]


def test_a_camera_rule_keeps_its_regions_through_the_table():
    # Given a rule set to classify motion regions
    rule = Rule(regions="motion", min_frames=3)
    # When it is stored and read back
    again = Rule.from_item(rule.to_item())
    # Then it still asks for motion regions, and says so when described
    assert again == rule and again.regions == "motion"
    assert "regions=motion" in again.describe()


def test_a_rule_stored_before_regions_existed_means_the_whole_frame():
    item = {"threshold": 0.7, "min_frames": 2, "version": 4}
    assert Rule.from_item(item).regions == "full"


def test_a_user_can_switch_a_camera_to_both_but_not_to_an_unknown_mode():
    assert Rule().with_changes(regions="both").regions == "both"
    with pytest.raises(ValueError, match="regions must be one of full, motion, both"):
        Rule().with_changes(regions="boxes")


def test_several_boxes_in_one_frame_count_as_one_frame():
    # Given three motion boxes over the threshold, all in the same sampled frame, and a rule needing 2 frames
    frames = [{"t": 5.0, "score": 0.2, "region": "full"}] + [
        {"t": 5.0, "score": s, "region": "motion", "box": [0.1 * i, 0.1, 0.1 * i + 0.2, 0.4]}
        for i, s in enumerate((0.91, 0.8, 0.95))]
    # When the clip is decided
    verdict = decide_frames(scored(frames), Rule(min_frames=2), 0.5)
    # Then one moment is not two frames: no alert, and the frame's best box is its score
    assert verdict.decision == NO_ALERT
    assert verdict.region == "motion" and verdict.frames_over_threshold == 1 and verdict.max_score == 0.95


def test_motion_boxes_in_two_frames_alert_even_when_the_full_frame_does_not():
    # Given a small person far away: the full frame scores low, its motion box high, in two sampled frames
    frames = []
    for t in (3.0, 4.0):
        frames += [{"t": t, "score": 0.1, "region": "full"},
                   {"t": t, "score": 0.9, "region": "motion", "box": [0.6, 0.2, 0.75, 0.4]},
                   {"t": t, "score": 0.05, "region": "motion", "box": [0.0, 0.7, 0.2, 0.9]}]
    # When the clip is decided
    verdict = decide_frames(scored(frames), Rule(min_frames=2, regions="both"), 0.5)
    # Then the motion region alerts, counted as two frames (not four boxes)
    assert verdict.decision == ALERT and verdict.region == "motion"
    assert verdict.frames_over_threshold == 2 and verdict.frames_considered == 2


def test_a_frame_and_its_tiles_are_one_region_counted_once_per_moment():
    # Given two sampled frames whose whole-frame scores are low and one tile of each scores high
    frames = []
    for t in (1.0, 2.0):
        frames += [{"t": t, "score": 0.2, "region": "full"},
                   {"t": t, "score": 0.92, "region": "tile", "box": [0.0, 0.0, 0.5, 0.5]},
                   {"t": t, "score": 0.1, "region": "tile", "box": [0.5, 0.0, 1.0, 0.5]}]
    # When the clip is decided with k=2
    verdict = decide_frames(scored(frames), Rule(min_frames=2, regions="tiles"), 0.5)
    # Then frame and tiles are the "tiles" region, each moment its best view: two frames over, an alert
    assert verdict.decision == ALERT and verdict.region == "tiles" and verdict.frames_considered == 2


def test_a_new_rule_has_the_detector_propose_person_regions():
    # Given a rule with nothing said about regions
    rule = Rule()
    # Then it asks for person proposals, the contract's default, and its one-line description does not repeat it
    assert rule.regions == "detect" == DEFAULT_REGIONS
    assert "regions=" not in rule.describe() and "regions=full" in Rule(regions="full").describe()


def test_person_proposals_are_one_region_and_a_moment_counts_once_with_its_best_box():
    # Given two moments with two person proposals each (one over 0.8) and one moment with no proposal
    frames = scored([
        {"t": 0.0, "score": 0.9, "region": "person", "box": [0.1, 0.1, 0.3, 0.6]},
        {"t": 0.0, "score": 0.95, "region": "person", "box": [0.5, 0.1, 0.7, 0.6]},
        {"t": 1.0, "score": 0.85, "region": "person", "box": [0.1, 0.1, 0.3, 0.6]},
        {"t": 1.0, "score": 0.1, "region": "person", "box": [0.6, 0.5, 0.9, 0.9]},
        {"t": 2.0, "score": 0.0, "region": "person"},
    ])
    # When a rule needing two frames over 0.8 decides
    verdict = decide_frames(frames, Rule(threshold=0.8, min_frames=2), 0.5)
    # Then "person" is one region of three moments, two over the threshold, each with its best box's score
    assert verdict.decision == ALERT and verdict.region == "person"
    assert verdict.frames_considered == 3 and verdict.frames_over_threshold == 2
    assert verdict.max_score == 0.95
    # And three boxes over the threshold in one moment alone are not two frames
    one_moment = [f for f in frames if f.t == 0.0]
    assert decide_frames(one_moment, Rule(threshold=0.8, min_frames=2), 0.5).decision == NO_ALERT
