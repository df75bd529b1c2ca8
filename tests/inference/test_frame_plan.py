"""The frame plan's cheaper frames: in short GOPs the last sample of each GOP moves a little earlier so that less of
the GOP is decoded; the pixels are still exactly the frames shown at the sampled times."""
from __future__ import annotations

import numpy as np
from test_frame_sampling import reference_frames

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from videoalert_inference.frames import FrameSampler


def camera_clip() -> bytes:
    """30 fps, a keyframe every 2 s, no B-frames: the shape IP cameras send."""
    return encode_clip(cfr_times(10, 30), lambda t: RED if int(t) % 2 else BLUE, gop=60, b_frames=0)


def test_a_short_gops_second_sample_moves_up_to_half_a_period_earlier_and_halves_the_decoding():
    data = camera_clip()
    # When the clip is sampled at 1 fps as before, and with a frame window of half a period
    exact = FrameSampler(sample_fps=1.0, max_frames=100)
    exact_frames = list(exact.sample(data))
    cheap = FrameSampler(sample_fps=1.0, max_frames=100, frame_window=0.5)
    frames = list(cheap.sample(data))
    # Then each GOP's keyframe is kept and its second sample is taken at +0.5 s instead of +1 s
    assert [f.t for f in exact_frames] == [float(s) for s in range(10)]
    assert [f.t for f in frames] == [s - 0.5 if s % 2 else float(s) for s in range(10)]
    # and no two samples are more than a period and a half apart, one per grid time
    assert max(np.diff([f.t for f in frames])) <= 1.5 + 1e-6 and len(frames) == len(exact_frames)
    # and every sample is exactly the frame a full decode shows at its time
    for frame, expected in zip(frames, reference_frames(data, [f.t for f in frames]), strict=True):
        assert np.array_equal(frame.image, expected), f"frame at {frame.t} s differs"
    # and about half as many frames were decoded
    assert cheap.stats.frames_decoded <= 0.6 * exact.stats.frames_decoded


def test_long_gops_keep_the_grids_frames(real_clip):
    # Given a real clip with a keyframe every 25 s
    data = real_clip("human_01.mp4")
    # When it is sampled with the frame window
    frames = list(FrameSampler(sample_fps=1.0, max_frames=1000, resize_to=32, frame_window=0.5).sample(data))
    # Then the samples are the grid's own (moving one would save a few percent of a GOP's decoding at most)
    assert [f.t for f in frames] == [float(s) for s in range(60)]


def test_without_deblocking_keyframes_stay_exact_and_other_frames_stay_close():
    data = camera_clip()
    exact = list(FrameSampler(sample_fps=1.0, max_frames=100, resize_to=64).sample(data))
    # When FFmpeg skips the loop filter but on keyframes
    fast = list(FrameSampler(sample_fps=1.0, max_frames=100, resize_to=64, skip_loop_filter="nokey").sample(data))
    # Then the keyframes (every 2 s) are the same pixels and the others within a few grey levels on average
    assert [f.t for f in fast] == [f.t for f in exact]
    for a, b in zip(fast, exact, strict=True):
        difference = np.abs(a.image.astype(int) - b.image.astype(int))
        if int(a.t) % 2 == 0:
            assert not difference.any()
        assert difference.mean() < 3.0
