"""score_clip: per-frame scores in time order, top embeddings, and a clear error code for every bad video."""
from __future__ import annotations

import io

import av
import cv2
import numpy as np
import pytest

from fixtures.media import BLUE, RED, audio_only, cfr_times, encode_clip
from videoalert_inference.errors import CORRUPT_VIDEO, EMPTY_VIDEO, NO_FRAMES, NO_VIDEO_TRACK, TOO_LARGE, BadInputError
from videoalert_inference.scoring import ScoringRequest, score_clip


def red_between(start: float, end: float):
    return lambda t: RED if start <= t < end else BLUE


def test_scores_follow_the_frames_they_were_computed_on(tiny_classifier):
    # Given a 12 s, 10 fps clip, red (person for the tiny model) from 5 s to 8 s, with B-frames
    data = encode_clip(cfr_times(12, 10), red_between(5, 8), gop=25, b_frames=2)
    # When it is scored at 1 fps in batches of 4
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120,
                                                              batch_size=4))
    # Then each second has its score, high exactly at 5, 6 and 7 s
    assert [f.t for f in result.frames] == [float(s) for s in range(12)]
    high = [f.t for f in result.frames if f.score > 0.9]
    low = [f.t for f in result.frames if f.score < 0.1]
    assert high == [5.0, 6.0, 7.0]
    assert len(low) == 9
    assert result.video.width == 64 and result.video.height == 48 and result.video.codec == "h264"


def test_top_embeddings_are_the_highest_scoring_frames(tiny_classifier):
    # Given a clip with a 2 s red stretch
    data = encode_clip(cfr_times(10, 10), red_between(3, 5))
    # When it is scored asking for the top 3 embeddings
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full", top_k_embeddings=3, min_samples=0))
    # Then they come best first, the two red frames leading, each a 512-d vector
    assert sorted(e.t for e in result.top_embeddings[:2]) == [3.0, 4.0]
    assert len(result.top_embeddings) == 3
    assert all(len(e.embedding) == 512 for e in result.top_embeddings)
    assert result.top_embeddings[0].score >= result.top_embeddings[2].score


def test_timings_name_every_stage(tiny_classifier):
    data = encode_clip(cfr_times(3, 10))
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full"))
    assert set(result.timings_ms) == {"decode", "preprocess", "inference", "total"}
    assert result.timings_ms["total"] >= result.timings_ms["inference"]


def test_a_one_frame_video_gives_one_score(tiny_classifier):
    # Given a video of a single red frame
    data = encode_clip([0.0], lambda t: RED)
    # When it is scored
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full"))
    # Then there is one score, at 0 s
    assert [f.t for f in result.frames] == [0.0]
    assert result.frames[0].score > 0.9


def test_a_truncated_clip_scores_the_part_that_was_received(real_clip, tiny_classifier):
    # Given a real clip cut in the middle of its media data (an interrupted upload)
    data = real_clip("human_01.mp4")
    # When it is scored
    result = score_clip(data[: len(data) // 2], tiny_classifier, ScoringRequest(regions="full"))
    # Then the frames before the cut are scored, and the damage is counted rather than hidden
    assert 20 <= len(result.frames) < 60
    assert result.stats.truncated


def bad_videos() -> dict[str, bytes]:
    good = encode_clip(cfr_times(2, 10))
    ok, jpeg = cv2.imencode(".jpg", np.zeros((48, 64, 3), np.uint8))
    return {
        "zero bytes": (b"", EMPTY_VIDEO),
        "truncated inside the header": (good[:200], CORRUPT_VIDEO),
        "a JPEG named .mp4": (jpeg.tobytes(), CORRUPT_VIDEO),
        "text": (b"this is not a video\n" * 50, CORRUPT_VIDEO),
        "audio-only MP4": (audio_only("mp4"), NO_VIDEO_TRACK),
        "audio-only Matroska": (audio_only("matroska"), NO_VIDEO_TRACK),
        "WAV": (audio_only("wav"), NO_VIDEO_TRACK),
        "a video track with no frames": (empty_video_track(), NO_FRAMES),
        "5K frames": (encode_clip([0.0], size=(5120, 2880), noise=False), TOO_LARGE),
    }


def empty_video_track() -> bytes:
    """A fragmented MP4 with a video track and no fragments (what an empty stream window can produce)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4", options={"movflags": "frag_keyframe+empty_moov"}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuv420p"
        container.start_encoding()
    return out.getvalue()


BAD_VIDEOS = bad_videos()


@pytest.mark.parametrize("case", sorted(BAD_VIDEOS))
def test_bad_videos_get_their_error_code(case, tiny_classifier):
    # Given a file that cannot be scored
    data, expected_code = BAD_VIDEOS[case]
    # When it is scored
    with pytest.raises(BadInputError) as raised:
        score_clip(data, tiny_classifier, ScoringRequest(regions="full"))
    # Then the error carries the contract's code and a message saying why
    assert raised.value.code == expected_code
    assert raised.value.message


def test_a_path_works_like_bytes(tmp_path, tiny_classifier):
    # Given a clip on disk
    path = tmp_path / "clip.mp4"
    data = encode_clip(cfr_times(3, 10), red_between(1, 2))
    path.write_bytes(data)
    # When it is scored from its path
    result = score_clip(path, tiny_classifier, ScoringRequest(regions="full"))
    # Then it is scored as from bytes: the same frames, the same scores, the red second found
    from_bytes = score_clip(data, tiny_classifier, ScoringRequest(regions="full"))
    assert [(f.t, f.score) for f in result.frames] == [(f.t, f.score) for f in from_bytes.frames]
    assert [f.score > 0.9 for f in result.frames] == [1 <= f.t < 2 for f in result.frames]


@pytest.mark.parametrize("pipeline,workers,scorers", [(True, 1, 1), (False, 2, 1), (True, 2, 1), (True, 2, 2),
                                                      (True, 1, 3)])
def test_pipelined_and_parallel_scoring_gives_the_scores_of_the_plain_path(
    real_clip, tiny_classifier, pipeline, workers, scorers
):
    # Given a real clip scored the plain way: one thread decodes, then the model scores
    data = real_clip("human_01.mp4")
    plain = score_clip(data, tiny_classifier, ScoringRequest(regions="full", pipeline=False,
                                                             decoder_workers=1, batch_size=8))
    # When it is scored with decoding on a second thread, several GOP decoders and/or several batches at once
    fast = score_clip(data, tiny_classifier, ScoringRequest(regions="full", pipeline=pipeline, decoder_workers=workers,
                                                            inference_workers=scorers, batch_size=8))
    # Then every frame, score and top embedding is the same
    assert [(f.t, f.score) for f in fast.frames] == [(f.t, f.score) for f in plain.frames]
    assert [e.t for e in fast.top_embeddings] == [e.t for e in plain.top_embeddings]
    assert fast.frames_sampled == plain.frames_sampled == 60


def test_a_decoding_error_on_the_pipeline_thread_reaches_the_caller(tiny_classifier):
    # Given a file that is no video at all, scored with decoding on a second thread
    # When it is scored
    with pytest.raises(BadInputError) as raised:
        score_clip(b"\x00\x01 not a video " * 100, tiny_classifier,
                   ScoringRequest(regions="full", pipeline=True, decoder_workers=2))
    # Then the caller gets the contract's error, raised from the worker, and no thread is left behind
    assert raised.value.code == CORRUPT_VIDEO
    import threading

    assert not [t for t in threading.enumerate() if t.name.startswith(("videoalert-decode", "videoalert-gop"))]


def test_an_inference_error_on_a_scoring_thread_reaches_the_caller_and_stops_the_decoders(
    real_clip, tiny_classifier, monkeypatch
):
    # Given a model that fails on its third batch, with two batches scored at once
    calls = []
    predict = tiny_classifier.predict_batch

    def failing(batch):
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("onnxruntime: out of memory")
        return predict(batch)

    monkeypatch.setattr(tiny_classifier, "predict_batch", failing)
    # When a real clip is scored
    with pytest.raises(RuntimeError, match="out of memory"):
        score_clip(real_clip("human_01.mp4"), tiny_classifier,
                   ScoringRequest(regions="full", pipeline=True, decoder_workers=2, inference_workers=2, batch_size=4))
    # Then the caller gets the model's error, and no decoding or scoring thread is left behind
    import threading

    assert not [
        t
        for t in threading.enumerate()
        if t.name.startswith(("videoalert-decode", "videoalert-gop", "videoalert-infer"))
    ]
    assert len(calls) < 15  # it stopped: 60 frames would be 15 batches
