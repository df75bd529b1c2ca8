"""Issue 21, case 5: work limits that cannot be bypassed, checked as decoding goes, and timestamps that cannot place
frames in time sampled by position: never a clip half scored, never past the frame cap."""
from __future__ import annotations

import math

import pytest

from fixtures.hostile_media import BLUE, RED, growing_frames_ts, mkv_with_timestamps
from fixtures.media import cfr_times, encode_clip
from videoalert_contract.errors import OVER_LIMIT, TOO_LARGE, BadInputError
from videoalert_inference.budget import WorkLimits
from videoalert_inference.frames import FrameSampler
from videoalert_inference.parts import odd_timestamps
from videoalert_inference.scoring import ScoringRequest, score_clip

FRAMES = 100  # 10 s at 10 fps when the timestamps are right
RED_FROM = 70  # the last 30 frames are red (the tiny model's "person")


def colour(i: int) -> tuple[int, int, int]:
    return RED if i >= RED_FROM else BLUE


ODD = {
    "all-zero": [0] * FRAMES,
    "going-backwards": [20_000 - 100 * i for i in range(FRAMES)],
    "jumping-10-hours": [100 * i for i in range(50)] + [36_000_000 + 100 * i for i in range(50)],
    "negative": [-20_000 + 100 * i for i in range(FRAMES)],
    "restarting": [100 * (i % 40) for i in range(FRAMES)],
}


def test_frames_that_grow_past_the_pixel_limit_mid_stream_are_rejected_too_large():
    # Given a stream whose header (and first frames) are 64x48, then 320x240 frames, under a 64x48 pixel limit
    data = growing_frames_ts([(64, 48), (320, 240)], frames_each=10, fps=10)
    sampler = FrameSampler(1.0, 120, resize_to=32, limits=WorkLimits(max_pixels=64 * 48))
    # When it is sampled, Then it is refused TOO_LARGE once a larger frame appears, not scored in part
    with pytest.raises(BadInputError) as caught:
        list(sampler.sample(data))
    assert caught.value.code == TOO_LARGE and "320x240" in caught.value.message


def test_decoding_stops_as_soon_as_the_frames_decoded_limit_is_passed():
    # Given a clip whose one keyframe makes every sampled frame need all frames before it decoded
    data = encode_clip(cfr_times(20, 30), size=(64, 48), gop=600, b_frames=0)
    sampler = FrameSampler(1.0, 120, resize_to=32, limits=WorkLimits(max_frames_decoded=100))
    # When it is sampled under a limit of 100 decoded frames
    with pytest.raises(BadInputError) as caught:
        list(sampler.sample(data))
    # Then it is refused OVER_LIMIT, and decoding stopped there, not at the end of the clip
    assert caught.value.code == OVER_LIMIT and "100" in caught.value.message
    assert sampler.stats.frames_decoded <= 101


def test_decoding_stops_as_soon_as_the_decode_time_limit_is_passed():
    data = encode_clip(cfr_times(20, 30), size=(64, 48), gop=600, b_frames=0)
    sampler = FrameSampler(1.0, 120, resize_to=32, limits=WorkLimits(max_decode_s=0.001))
    with pytest.raises(BadInputError) as caught:
        list(sampler.sample(data))
    assert caught.value.code == OVER_LIMIT and "decod" in caught.value.message
    assert sampler.stats.frames_decoded < 600


def test_a_clip_over_a_limit_is_answered_bad_input_by_the_handler(inference_env, monkeypatch):
    # Given the inference function with a 100-frame decode limit, and a clip that needs more
    from videoalert_inference import handler

    monkeypatch.setenv("MAX_FRAMES_DECODED", "100")
    handler.reset_runtime()
    inference_env.put_object(Bucket="clips", Key="long.mp4",
                             Body=encode_clip(cfr_times(20, 30), size=(64, 48), gop=600, b_frames=0))
    answer = handler.handler({"video_id": "v", "bucket": "clips", "key": "long.mp4"}, None)
    # Then it answers ok:false with the limit's code: the dispatcher records REJECTED and never retries it
    assert answer["ok"] is False and answer["error"]["code"] == OVER_LIMIT


@pytest.mark.parametrize("name", list(ODD))
def test_timestamps_that_cannot_place_frames_are_sampled_by_position_over_the_whole_clip(tiny_classifier, name):
    # Given 100 frames whose timestamps are odd, the last 30 of them red
    data = mkv_with_timestamps(ODD[name], colour_of=colour)
    # When the clip is scored at 1 fps (no floor for short clips here: 4 s at 25 fps would get one, test_short_clips.py)
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120,
                                                              min_samples=0))
    # Then frames were chosen by position (frame n at n / fps, the stream's frame rate or 25 fps when it gives none
    # a camera could have), once each, in order, across the whole clip: the red end is scored too
    fps = result.video.fps
    assert fps in (10.0, 25.0) and result.video.sampled_by == "position"
    assert [f.t for f in result.frames] == [float(s) for s in range(math.ceil(FRAMES / fps))]
    assert result.video.duration_s == pytest.approx(FRAMES / fps)
    assert result.frames[-1].score > 0.5 and result.frames[0].score < 0.5


def test_right_timestamps_are_still_sampled_by_time(tiny_classifier):
    data = mkv_with_timestamps([100 * i for i in range(FRAMES)], colour_of=colour)
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120,
                                                              min_samples=0))
    assert [f.t for f in result.frames] == [float(s) for s in range(10)]
    assert [f.score > 0.5 for f in result.frames] == [s >= 7 for s in range(10)]


def test_frames_sharing_one_timestamp_never_pass_the_frame_cap():
    data = mkv_with_timestamps([0] * 300)
    sampler = FrameSampler(25.0, 5, resize_to=32)
    assert len(list(sampler.sample(data))) == 5


@pytest.mark.parametrize(("pts", "why"), [
    ([0, 1, 2, 3], None),
    ([0, 2, 1, 3, 5, 4], None),  # B-frame reordering, within the decoder's window
    ([0, 0, 1], "share"),
    (list(range(40, 0, -1)), "backwards"),
    ([0, 1, 2, 10_000_000], "jump"),
    ([-5000, -4000], "negative"),
    ([0, None, 2], "without"),
])
def test_odd_timestamps_are_named(pts, why):
    from fractions import Fraction

    reason = odd_timestamps(pts, Fraction(1, 1000))
    assert (reason is None) if why is None else (why in reason)
