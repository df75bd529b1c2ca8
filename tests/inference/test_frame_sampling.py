"""Frame sampling: which frames are chosen, at which times, and that skipping decode work changes no pixel."""
from __future__ import annotations

import io

import av
import numpy as np
import pytest

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from videoalert_inference.frames import FrameSampler


def reference_frames(data: bytes, wanted_times: list[float]) -> list[np.ndarray]:
    """Plain full decode of every frame; for each wanted time the frame shown at that time."""
    with av.open(io.BytesIO(data)) as container:
        frames = [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    start = frames[0][0]
    return [next(img for t, img in frames if abs((t - start) - want) < 1e-3) for want in wanted_times]


def test_one_frame_per_second_from_a_60_second_clip(real_clip):
    # Given a real 60 s, 10 fps camera clip
    data = real_clip("human_01.mp4")
    # When it is sampled at 1 fps
    sampler = FrameSampler(sample_fps=1.0, max_frames=1000)
    frames = list(sampler.sample(data))
    # Then there is one frame per second, at 0, 1, ..., 59 s, in order, at the clip's full resolution
    assert [f.t for f in frames] == [float(s) for s in range(60)]
    assert frames[0].image.shape == (480, 640, 3)
    assert sampler.video_info().duration_s == pytest.approx(60.0, abs=0.01)


def test_two_frames_per_second_doubles_the_samples(real_clip):
    # Given the same clip
    data = real_clip("human_02.mp4")
    # When it is sampled at 2 fps
    frames = list(FrameSampler(sample_fps=2.0, max_frames=1000, resize_to=32).sample(data))
    # Then there are 120 frames, half a second apart, already resized for the model
    assert len(frames) == 120
    assert np.allclose(np.diff([f.t for f in frames]), 0.5)
    assert frames[0].image.shape == (32, 32, 3)


def test_skipping_decode_work_returns_exactly_the_frames_a_full_decode_shows(real_clip):
    # Given a real clip with B-frames and a long GOP
    data = real_clip("human_01.mp4")
    # When it is sampled at 1 fps (non-reference frames skipped, RGB only for chosen frames)
    sampler = FrameSampler(sample_fps=1.0, max_frames=1000)
    frames = list(sampler.sample(data))
    # Then every chosen frame is pixel-identical to the frame a plain full decode shows at that time
    for frame, expected in zip(frames, reference_frames(data, [f.t for f in frames]), strict=True):
        assert np.array_equal(frame.image, expected), f"frame at {frame.t} s differs"
    # and a good part of the clip was never reconstructed
    assert sampler.stats.frames_decoded < 0.75 * sampler.stats.packets


def test_short_gops_skip_the_rest_of_each_gop_and_keep_the_pixels():
    # Given a camera-like clip: 30 fps, a keyframe every 2 s, B-frames
    data = encode_clip(cfr_times(8, 30), lambda t: RED if int(t) % 2 else BLUE, gop=60, b_frames=2)
    # When it is sampled at 1 fps
    sampler = FrameSampler(sample_fps=1.0, max_frames=1000)
    frames = list(sampler.sample(data))
    # Then the 8 frames are the ones a full decode shows at 0..7 s
    assert [f.t for f in frames] == [float(s) for s in range(8)]
    for frame, expected in zip(frames, reference_frames(data, [f.t for f in frames]), strict=True):
        assert np.array_equal(frame.image, expected), f"frame at {frame.t} s differs"
    # and packets after the last chosen frame of each GOP were not even sent to the decoder
    assert sampler.stats.packets_sent < 0.6 * sampler.stats.packets


def test_variable_frame_rate_takes_the_first_frame_at_or_after_each_second():
    # Given a clip with irregular frame times and a gap longer than the sampling period
    times = [0.0, 0.3, 0.35, 1.2, 1.9, 2.05, 4.7, 5.0]
    data = encode_clip(times, container_format="matroska")
    # When it is sampled at 1 fps
    frames = list(FrameSampler(sample_fps=1.0, max_frames=100).sample(data))
    # Then each grid second takes the first frame shown at or after it, and the gap (3 s, 4 s) yields one
    # frame, not copies
    assert [f.t for f in frames] == [0.0, 1.2, 2.05, 4.7, 5.0]


def test_parts_of_one_clip_continue_the_timeline():
    # Given a clip delivered as two consecutive 5 s parts (10 fps)
    first = encode_clip(cfr_times(5, 10), lambda t: BLUE)
    second = encode_clip(cfr_times(5, 10), lambda t: RED)
    # When both are sampled in order by one sampler
    sampler = FrameSampler(sample_fps=1.0, max_frames=100)
    frames = list(sampler.sample(first)) + list(sampler.sample(second))
    # Then timestamps run on from 0 to 9 s and the clip lasts 10 s
    assert [f.t for f in frames] == [float(s) for s in range(10)]
    assert sampler.video_info().duration_s == pytest.approx(10.0, abs=0.05)
    assert frames[5].image[..., 0].mean() > 200  # the second part's red frames come after the blue ones


def test_max_frames_caps_the_work_on_a_long_clip():
    # Given a 60 s clip and a cap of 5 frames
    data = encode_clip(cfr_times(60, 10), gop=20)
    # When it is sampled at 1 fps
    sampler = FrameSampler(sample_fps=1.0, max_frames=5)
    frames = list(sampler.sample(data))
    # Then only the first 5 seconds are returned and the rest of the clip is not decoded
    assert [f.t for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert sampler.stats.packets_sent < 100
    assert sampler.done


@pytest.mark.parametrize("workers", [2, 3])
def test_gops_decoded_in_parallel_give_the_same_frames_in_the_same_order(workers):
    # Given a camera-like clip with many short GOPs (30 fps, a keyframe every second, B-frames)
    data = encode_clip(cfr_times(12, 30), lambda t: RED if int(t) % 3 == 0 else BLUE, gop=30, b_frames=2)
    sequential = FrameSampler(sample_fps=2.0, max_frames=1000, resize_to=32)
    expected = list(sequential.sample(data))
    # When the same clip is sampled with several decoders working on independent GOPs at once
    parallel = FrameSampler(sample_fps=2.0, max_frames=1000, resize_to=32, decoder_workers=workers)
    frames = list(parallel.sample(data))
    # Then the frames, their times, their order and the decoder's work are exactly those of one decoder
    assert [f.t for f in frames] == [f.t for f in expected] == [i / 2 for i in range(24)]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, expected, strict=True))
    assert (parallel.stats.frames_decoded, parallel.stats.packets_sent) == \
        (sequential.stats.frames_decoded, sequential.stats.packets_sent)


@pytest.mark.parametrize(("budget", "parallel"), [(128 * 2**20, True), (1, False)])
def test_full_frames_are_decoded_in_parallel_only_while_a_parts_frames_fit_the_memory_budget(monkeypatch, budget,
                                                                                           parallel):
    # Given a sampler asked for full frames as well (person crops), two decoder workers, and a memory budget for the
    # frames decoded ahead that a 4 s clip's chosen frames fit in, or not
    import videoalert_inference.frames as frames_module

    monkeypatch.setattr(frames_module, "PARALLEL_FULL_FRAMES_BYTES", budget)
    calls = []
    original = FrameSampler._decode_in_parallel

    def spy(self, *args, **kwargs):
        calls.append(args[-1])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FrameSampler, "_decode_in_parallel", spy)
    data = encode_clip(cfr_times(4, 30), lambda t: RED, gop=30)
    frames = list(FrameSampler(sample_fps=1.0, max_frames=10, resize_to=32, keep_full=True,
                               decoder_workers=2).sample(data))
    # Then it decodes on two decoders only when they fit (a part of 4K frames decoded ahead would not)
    assert calls == ([2] if parallel else [])
    # and either way each frame carries the model-size squash and the full frame, in time order, the same frames
    assert [f.t for f in frames] == [0.0, 1.0, 2.0, 3.0]
    assert frames[0].image.shape == (32, 32, 3) and frames[0].full.shape[2] == 3 and frames[0].full.shape[0] > 32


def test_one_scaler_for_a_run_of_frames_gives_the_pixels_of_one_scaler_per_frame(real_clip):
    # Given real decoded frames of a sample clip
    from av.video.reformatter import VideoReformatter

    from videoalert_inference.preprocess import resize_frame

    with av.open(io.BytesIO(real_clip("human_01.mp4"))) as container:
        frames = [f for i, f in enumerate(container.decode(video=0)) if i % 50 == 0]
    shared = VideoReformatter()
    # When they are squashed through one reused scaler and through a fresh one each
    # Then the model inputs are identical, byte for byte
    assert all(np.array_equal(resize_frame(f, 128, shared), resize_frame(f, 128)) for f in frames)


def test_stopping_early_stops_the_parallel_decoders():
    # Given a clip with many GOPs sampled by two decoders
    import threading

    data = encode_clip(cfr_times(12, 30), lambda t: RED, gop=30, b_frames=2)
    sampler = FrameSampler(sample_fps=2.0, max_frames=1000, resize_to=32, decoder_workers=2)
    frames = sampler.sample(data)
    # When the consumer takes one frame and closes the iterator
    first = next(frames)
    frames.close()
    # Then that frame is the clip's first and no decoder thread is left running
    assert first.t == 0.0
    assert not [t for t in threading.enumerate() if t.name.startswith("videoalert-gop")]


def test_a_lazily_kept_full_frame_is_the_frame_an_eager_sampler_converts(real_clip):
    # Given the same real clip sampled with full frames converted at once, and kept as decoded (detect mode)
    data = real_clip("human_01.mp4")
    eager = list(FrameSampler(sample_fps=1.0, max_frames=10, resize_to=64, keep_full=True).sample(data))
    lazy = list(FrameSampler(sample_fps=1.0, max_frames=10, resize_to=64, keep_full=True, lazy_full=True).sample(data))
    # Then no lazy frame is converted until asked, and each is pixel for pixel the eager one when it is
    assert len(lazy) == len(eager) == 10
    assert all(f.full is None and f.decoded is not None for f in lazy)
    assert all(f.full_bytes == e.full.nbytes for f, e in zip(lazy, eager, strict=True))
    for frame, reference in zip(lazy, eager, strict=True):
        assert np.array_equal(frame.full_rgb(), reference.full)
        assert frame.decoded is None and frame.full_rgb() is frame.full  # converted once, then kept
        assert np.array_equal(frame.image, reference.image)
