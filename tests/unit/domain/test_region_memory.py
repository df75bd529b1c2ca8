"""The memory of regions (detect mode): the same place and the same thing is a remembered false positive; a person
beside it, in front of it, or more person-like to the detector is not; entries age out (pure: no tables)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fixtures.embeddings import vec
from videoalert.domain.embeddings import FrameEmbedding, decode, encode
from videoalert.domain.gates import gate
from videoalert.domain.memory import MemoryEntry, MemoryPolicy, current, matching_entries, outside, region_match
from videoalert.domain.rule import Rule, decide_frames
from videoalert.domain.types import Decision, Label
from videoalert_contract.inference import FrameScore, TopEmbedding

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
STATUE_BOX = (0.40, 0.30, 0.55, 0.80)
BESIDE_BOX = (0.60, 0.30, 0.75, 0.80)


def near(vector, seed, amount=0.1):
    return tuple(x + amount * y for x, y in zip(vector, vec(seed), strict=True))


def entry(video_id, vector, box=STATUE_BOX, detector_score=0.5, kind=Label.FALSE_POSITIVE, added=NOW):
    stamp = added.strftime("%Y-%m-%dT%H:%M:%SZ")
    return MemoryEntry("cam1", f"{stamp}#{video_id}#{kind}#00", video_id, 2.0, 0.8, "person",
                       tuple(decode(encode(vector))), stamp, kind, box, detector_score)


def region(vector, box=STATUE_BOX, score=0.8, detector_score=0.5, t=3.0):
    return FrameEmbedding(t, score, tuple(vector), "person", box, detector_score)


def frames(box, times, score):
    return [FrameScore(float(t), score, "person", box) for t in times]


POLICY = MemoryPolicy(max_distance=0.2, min_iou=0.3, detector_margin=0.1)


def test_the_same_thing_in_the_same_place_matches_and_is_recorded_with_its_region():
    statue = vec(1)
    match = region_match(region(near(statue, 2)), [entry("fp", statue)], POLICY)
    assert match is not None and match.video_id == "fp" and match.box == STATUE_BOX and match.overlap == 1.0
    assert match.distance < 0.02


def test_a_look_alike_elsewhere_in_the_frame_does_not_match():
    statue = vec(1)
    assert region_match(region(near(statue, 2), box=BESIDE_BOX), [entry("fp", statue)], POLICY) is None


def test_something_else_in_that_place_does_not_match():
    assert region_match(region(vec(3)), [entry("fp", vec(1))], POLICY) is None


def test_a_region_the_detector_finds_more_person_like_than_the_remembered_one_does_not_match():
    statue = vec(1)
    memory = [entry("fp", statue, detector_score=0.3)]
    assert region_match(region(near(statue, 2), detector_score=0.35), memory, POLICY) is not None
    assert region_match(region(near(statue, 2), detector_score=0.9), memory, POLICY) is None


def test_a_region_closer_to_a_confirmed_person_in_that_place_does_not_match():
    statue, person = vec(1), near(vec(1), 5, 0.3)
    memory = [entry("fp", statue), entry("tp", person, kind=Label.TRUE_POSITIVE)]
    assert region_match(region(near(person, 6, 0.05)), memory, POLICY) is None
    assert region_match(region(near(person, 6, 0.05)), memory[:1], POLICY) is not None


def test_a_true_positive_label_removes_the_false_positive_of_that_place_only():
    statue = vec(1)
    memory = [entry("fp-here", statue), entry("fp-there", statue, box=BESIDE_BOX)]
    removed = matching_entries([region(near(statue, 2))], memory, max_distance=0.2)
    assert [e.video_id for e in removed] == ["fp-here"]


def test_entries_older_than_the_max_age_are_not_in_force():
    old, fresh = entry("old", vec(1), added=NOW - timedelta(days=31)), entry("fresh", vec(1), added=NOW)
    assert [e.video_id for e in current([old, fresh], NOW, timedelta(days=30))] == ["fresh"]


def test_outside_keeps_the_entries_of_other_places_and_frames_without_a_box():
    kept = outside(frames(STATUE_BOX, [1], 0.9) + frames(BESIDE_BOX, [1], 0.9) + [FrameScore(2.0, 0.0, "person")],
                   [region_match(region(near(vec(1), 2)), [entry("fp", vec(1))], POLICY)])
    assert [(f.t, f.box) for f in kept] == [(1.0, BESIDE_BOX), (2.0, None)]


def gated(clip_frames, embeddings, memory, rule=None):
    rule = rule or Rule(threshold=0.5, min_frames=2, cooldown_s=0, fp_distance=0.2)
    verdict = decide_frames(clip_frames, rule, 0.5)
    return gate(verdict, rule, window_start=NOW, series="stream", embeddings=embeddings, memory=memory,
                frames=clip_frames)


def test_a_remembered_statue_alone_is_suppressed_and_a_person_beside_it_alerts():
    statue = vec(1)
    memory = [entry("fp", statue)]
    # Given the statue again, in every frame
    alone = gated(frames(STATUE_BOX, range(12), 0.8), [region(near(statue, 2))], memory)
    assert alone.decision == Decision.SUPPRESSED and alone.suppressed_by.video_id == "fp"
    # When a person stands beside it for three frames (their region scored less than the statue's)
    person_frames = frames(STATUE_BOX, range(12), 0.8) + frames(BESIDE_BOX, (5, 6, 7), 0.7)
    embeddings = [region(near(statue, 2)), region(vec(9), box=BESIDE_BOX, score=0.7, detector_score=0.8)]
    # Then the clip alerts: the rule judges what is left once the statue's region is taken out
    assert gated(person_frames, embeddings, memory).decision == Decision.ALERT


def test_a_person_in_front_of_the_statue_alerts():
    statue = vec(1)
    memory = [entry("fp", statue, detector_score=0.3)]
    # Given a person standing where the statue is: the region's crop is a person, the detector sure of it
    clip = frames(STATUE_BOX, range(12), 0.95)
    person = region(vec(9), score=0.95, detector_score=0.92)
    assert gated(clip, [person], memory).decision == Decision.ALERT


def test_an_expired_label_no_longer_suppresses():
    statue = vec(1)
    memory = [entry("fp", statue, added=NOW - timedelta(days=40))]
    assert gated(frames(STATUE_BOX, range(12), 0.8), [region(near(statue, 2))], memory).decision == Decision.ALERT


def test_the_region_and_the_detector_score_are_stored_with_the_embedding():
    top = TopEmbedding.from_payload({"t": 3.0, "score": 0.91, "region": "person", "box": [0.1, 0.2, 0.3, 0.6],
                                     "embedding": vec(3), "detector_score": 0.42})
    item = FrameEmbedding.from_top(top).to_item()
    assert item["box"] == "0.100,0.200,0.300,0.600" and item["detector_score"] == 0.42
    back = FrameEmbedding.from_item(item)
    assert back.box == (0.1, 0.2, 0.3, 0.6) and back.detector_score == 0.42
