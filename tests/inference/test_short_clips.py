"""Short clips: a clip too short to give the rule's frames at the camera's sampling rate is sampled more finely.

A 2.3 s real clip at 1 fps gave 3 frames, one of them over the threshold, and the rule wants two (training/README.md,
example_07_1). The sampler now knows a one-part clip's length before decoding anything (its packets are demuxed
first) and, when the range is shorter than min_frames periods, puts min_frames grid times evenly across it.
"""
from __future__ import annotations

import pytest

from fixtures.hostile_media import mkv_with_timestamps
from fixtures.media import BLUE, RED, cfr_times, encode_clip
from videoalert_contract.errors import OVER_LIMIT, BadInputError
from videoalert_contract.inference import DEFAULT_MIN_SAMPLES
from videoalert_inference.budget import WorkLimits
from videoalert_inference.frames import FrameSampler
from videoalert_inference.scoring import ScoringRequest, score_clip


def test_a_short_clip_given_whole_is_sampled_min_frames_times_evenly_across_it():
    # Given a 2.5 s, 10 fps clip
    data = encode_clip(cfr_times(2.5, 10))
    # When it is sampled at 1 fps with a floor of 6 frames, as the whole clip
    sampler = FrameSampler(1.0, 120, resize_to=32, min_frames=6)
    frames = list(sampler.sample(data, whole_clip=True))
    # Then 6 frames, the first at or after each sixth of its length, not 3 a second apart
    assert [f.t for f in frames] == [0.0, 0.5, 0.9, 1.3, 1.7, 2.1]
    assert sampler.sample_fps == pytest.approx(6 / 2.5)


def test_a_clip_long_enough_for_the_floor_keeps_the_cameras_rate():
    data = encode_clip(cfr_times(8, 10))
    sampler = FrameSampler(1.0, 120, resize_to=32, min_frames=6)
    assert [f.t for f in sampler.sample(data, whole_clip=True)] == [float(s) for s in range(8)]
    assert sampler.sample_fps == 1.0


def test_the_floor_never_asks_for_more_frames_than_the_clip_holds_or_the_cap_allows():
    # Given a clip of 4 frames (0.4 s at 10 fps)
    data = encode_clip(cfr_times(0.4, 10))
    # Then every frame once, never a frame twice
    assert [f.t for f in FrameSampler(1.0, 120, min_frames=6).sample(data, whole_clip=True)] == [0.0, 0.1, 0.2, 0.3]
    # And under a cap of 3 frames, 3 frames spread over the clip
    capped = FrameSampler(1.0, 3, resize_to=32, min_frames=6)
    assert [f.t for f in capped.sample(encode_clip(cfr_times(2.4, 10)), whole_clip=True)] == [0.0, 0.8, 1.6]


def test_a_part_of_a_longer_clip_is_not_taken_for_a_short_clip():
    # Given the first 2.5 s part of a clip delivered in parts (its length is not known from one part)
    data = encode_clip(cfr_times(2.5, 10))
    # Then it is sampled at the camera's rate
    assert [f.t for f in FrameSampler(1.0, 120, min_frames=6).sample(data)] == [0.0, 1.0, 2.0]


def test_a_short_last_window_of_a_long_upload_is_sampled_min_frames_times():
    # Given an 8 s upload whose last window is [6 s, end)
    data = encode_clip(cfr_times(8, 10))
    sampler = FrameSampler(1.0, 120, resize_to=32, min_frames=6, start_s=6.0)
    # Then its 2 s are sampled 6 times
    assert [f.t for f in sampler.sample(data, whole_clip=True)] == [6.0, 6.4, 6.7, 7.0, 7.4, 7.7]


def test_a_short_clip_sampled_by_position_gets_the_floor_too():
    # Given 30 frames whose timestamps are all zero (sampled by position at 25 fps: 1.2 s)
    data = mkv_with_timestamps([0] * 30)
    frames = list(FrameSampler(1.0, 120, resize_to=32, min_frames=6).sample(data, whole_clip=True))
    # Then 6 frames a fifth of a second apart
    assert [f.t for f in frames] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_the_work_limits_hold_for_a_finer_grid():
    # Given a short clip whose one keyframe makes each sampled frame need every frame before it
    data = encode_clip(cfr_times(2.5, 30), size=(64, 48), gop=600, b_frames=0)
    sampler = FrameSampler(1.0, 120, resize_to=32, min_frames=6, limits=WorkLimits(max_frames_decoded=40))
    # Then decoding stops at the limit, as it would for any clip
    with pytest.raises(BadInputError) as caught:
        list(sampler.sample(data, whole_clip=True))
    assert caught.value.code == OVER_LIMIT
    assert sampler.stats.frames_decoded <= 41


def test_a_person_passing_quickly_in_a_short_clip_is_seen_on_two_frames(tiny_classifier):
    # Given a 2.5 s clip in which a "person" (red, the tiny model's person) is seen from 0.4 s to 0.9 s only
    data = encode_clip(cfr_times(2.5, 10), lambda t: RED if 0.35 < t < 0.95 else BLUE)
    # When it is scored as the product scores it (the default floor) and at 1 fps alone
    product = score_clip(data, tiny_classifier, ScoringRequest(sample_fps=1.0, max_frames=120, regions="full"))
    plain = score_clip(data, tiny_classifier, ScoringRequest(sample_fps=1.0, max_frames=120, regions="full",
                                                             min_samples=0))
    # Then the product's sampling sees the person on two frames, enough for a two-frame rule; 1 fps sees it on none
    assert len(product.frames) == DEFAULT_MIN_SAMPLES
    assert sum(f.score > 0.5 for f in product.frames) >= 2
    assert [f.t for f in plain.frames] == [0.0, 1.0, 2.0] and all(f.score < 0.5 for f in plain.frames)
