"""Issue 30, cases 2 and 3: damaged files of every container end scored (what could be read) or refused with the
contract's code, never a crash (which the dispatcher records FAILED and a redrive repeats); and one work budget per
request covers the packets demuxed, the frames and pixels decoded, on every pass over the file."""
from __future__ import annotations

import av
import av.logging
import pytest

from fixtures.damaged_media import (
    FORMATS,
    cut,
    faststart_mp4,
    flip_bits,
    garbage_mid_stream,
    packet_flood,
    person_clip,
    ts_with_stream_appearing,
)
from fixtures.hostile_media import BLUE, RED, mkv_with_timestamps
from fixtures.media import cfr_times, encode_clip
from videoalert_contract.errors import (
    CORRUPT_VIDEO,
    NO_FRAMES,
    NO_VIDEO_TRACK,
    OVER_LIMIT,
    TOO_LARGE,
    BadInputError,
)
from videoalert_inference.best_frame import best_frame_jpeg
from videoalert_inference.budget import WorkBudget, WorkLimits
from videoalert_inference.containers import PACKET_BATCH
from videoalert_inference.frames import FrameSampler
from videoalert_inference.scoring import ScoringRequest, score_clip

BAD_INPUT_CODES = {CORRUPT_VIDEO, NO_FRAMES, NO_VIDEO_TRACK, TOO_LARGE, OVER_LIMIT}


def outcome(data: bytes, classifier) -> str:
    """What scoring makes of a file: "scored" or the contract's code; anything else raised fails the test."""
    try:
        score_clip(data, classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120, min_samples=0))
    except BadInputError as exc:
        assert exc.code in BAD_INPUT_CODES, exc
        return exc.code
    return "scored"


def test_an_mpegts_stream_appearing_mid_file_is_scored_not_a_crash(tiny_classifier):
    # Given an MPEG-TS clip followed by a programme on PIDs it never listed (PyAV raises IndexError there)
    data = ts_with_stream_appearing(person_clip("ts"))
    # When it is scored, Then its video is scored whole: the person found, nothing raised
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120,
                                                              min_samples=0))
    assert len(result.frames) == 4 and result.max_score > 0.9


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_bit_flips_in_every_container_end_scored_or_refused_never_raised(tiny_classifier, suffix):
    # Given a real clip of each container, damaged by 1 to 40 bit flips at ten places each
    clip = person_clip(suffix)
    outcomes = {outcome(flip_bits(clip, flips, seed), tiny_classifier)
                for flips in (1, 8, 40) for seed in range(10)}
    # Then each ends scored or with a bad-input code (the helper fails on any other exception)
    assert outcomes <= {"scored", *BAD_INPUT_CODES}


@pytest.mark.parametrize("suffix", list(FORMATS))
@pytest.mark.parametrize("keep", [0.05, 0.5, 0.9])
def test_a_file_cut_short_in_every_container_ends_scored_or_refused(tiny_classifier, suffix, keep):
    assert outcome(cut(person_clip(suffix), keep), tiny_classifier) in {"scored", *BAD_INPUT_CODES}


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.8])
def test_a_truncated_faststart_mp4_ends_scored_or_refused(tiny_classifier, keep):
    # Given a faststart MP4 (its index first) cut short: the index promises samples the file does not hold
    data = cut(faststart_mp4(person_clip("mp4", seconds=6)), keep)
    # Then what is left is scored, or it is refused with its code
    assert outcome(data, tiny_classifier) in {"scored", CORRUPT_VIDEO, NO_FRAMES}


def test_decoder_errors_mid_stream_lose_only_the_damaged_frames(tiny_classifier):
    # Given a 6 s clip whose frames 2.5-3.5 s are garbage, red (a person) from 4 s
    sampler_result = score_clip(garbage_mid_stream(), tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0,
                                                                                      max_frames=120, min_samples=0))
    # Then the decoder's errors are counted, the other seconds scored and the person found
    assert sampler_result.stats.decode_errors >= 1
    assert 4 <= len(sampler_result.frames) < 6 and sampler_result.max_score > 0.9


def test_a_packet_flood_stops_at_the_packet_limit_while_demuxing():
    # Given 20,000 tiny packets, under a 5,000-packet limit
    sampler = FrameSampler(1.0, 120, resize_to=32, limits=WorkLimits(max_packets=5000))
    # When it is sampled, Then it is refused OVER_LIMIT, and demuxing stopped there, not at the end of the file
    with pytest.raises(BadInputError) as caught:
        list(sampler.sample(packet_flood(20_000)))
    assert caught.value.code == OVER_LIMIT and "packets" in caught.value.message
    assert sampler.budget.packets <= 5000 + PACKET_BATCH


def test_every_pass_over_the_file_is_charged_to_one_budget(tiny_classifier):
    # Given a clip whose scoring needs 40 frames decoded (one keyframe, every frame a reference), under a limit of 50
    data = encode_clip(cfr_times(4, 10), lambda t: RED if t >= 3 else BLUE, gop=100, b_frames=0)
    budget = WorkBudget(WorkLimits(max_frames_decoded=50))
    scores = score_clip(data, tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120,
                                                              min_samples=0), budget=budget)
    assert 0 < budget.frames <= 50 and budget.packets > 0
    # When the best frame (at 3 s: 31 more frames to decode) is made within the same budget
    best = max(scores.frames, key=lambda f: f.score)
    # Then the budget refuses it rather than giving the second pass a fresh limit
    with pytest.raises(BadInputError) as caught:
        best_frame_jpeg([data], best, budget)
    assert caught.value.code == OVER_LIMIT and budget.frames <= 51
    # And with room for both passes the picture is made
    roomy = WorkBudget(WorkLimits(max_frames_decoded=200))
    score_clip(data, tiny_classifier, ScoringRequest(regions="full", sample_fps=1.0, max_frames=120, min_samples=0),
                                                     budget=roomy)
    assert best_frame_jpeg([data], best, roomy) is not None and roomy.frames > 40


def test_sampling_by_position_is_charged_for_its_second_read():
    # Given 100 frames whose timestamps cannot place them (all zero): demuxed once to learn that, once to sample
    budget = WorkBudget()
    sampler = FrameSampler(1.0, 120, resize_to=32, budget=budget)
    assert len(list(sampler.sample(mkv_with_timestamps([0] * 100)))) == 4
    # Then both reads are charged (each read's end-of-stream packet too), and every decoded frame with its pixels
    assert 200 <= budget.packets <= 202 and budget.frames == 100 and budget.pixels == 100 * 64 * 48


def test_pixels_decoded_are_limited_per_request():
    data = encode_clip(cfr_times(4, 10), size=(64, 48), gop=100, b_frames=0)
    sampler = FrameSampler(1.0, 120, resize_to=32, limits=WorkLimits(max_pixels_decoded=20 * 64 * 48))
    with pytest.raises(BadInputError) as caught:
        list(sampler.sample(data))
    assert caught.value.code == OVER_LIMIT and "pixels" in caught.value.message


def test_the_resolution_is_checked_before_the_opening_probe_decodes_a_frame(tiny_classifier, caplog):
    # Given a VP9 WebM whose frames are 640x480 (FFmpeg decodes a frame of it while opening the file), a 64x48 limit
    data = person_clip("webm", size=(640, 480))
    # When it is scored (FFmpeg's errors passed on to Python's logging as libav.*)
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with caplog.at_level("ERROR", logger="libav"), pytest.raises(BadInputError) as caught:
            score_clip(data, tiny_classifier, ScoringRequest(regions="full", limits=WorkLimits(max_pixels=64 * 48)))
    finally:
        av.logging.set_level(previous)
    # Then it is refused (its size unknown once the probe could not decode: no frame could be), and FFmpeg refused to
    # allocate the frame in the opening probe too: no full-size frame was decoded there
    assert caught.value.code in (TOO_LARGE, CORRUPT_VIDEO)
    refusals = [r for r in caplog.records if "exceeds specified max pixel count" in r.getMessage()]
    assert refusals and refusals[0].filename == "containers.py" and "open_container" in refusals[0].funcName


def test_a_damaged_mpegts_upload_is_answered_not_raised_by_the_handler(inference_env):
    # Given the inference function and the damaged MPEG-TS file in S3
    from videoalert_inference import handler

    inference_env.put_object(Bucket="clips", Key="damaged.ts", Body=ts_with_stream_appearing(person_clip("ts")))
    inference_env.put_object(Bucket="clips", Key="faststart.mp4", Body=cut(faststart_mp4(person_clip("mp4")), 0.5))
    # When it is asked to score them, Then it answers (scores, or a bad-input code the dispatcher records REJECTED)
    scored = handler.handler({"video_id": "v", "bucket": "clips", "key": "damaged.ts", "regions": "full"}, None)
    assert scored["ok"] is True
    cut_short = handler.handler({"video_id": "w", "bucket": "clips", "key": "faststart.mp4"}, None)
    assert cut_short["ok"] is False and cut_short["error"]["code"] in (CORRUPT_VIDEO, NO_FRAMES)


def test_pyav_raises_what_the_corpus_expects():
    # The reason for the catch-all around the demuxer: PyAV's own error, not FFmpeg's, on a stream appearing mid-file
    import io

    with av.open(io.BytesIO(ts_with_stream_appearing(person_clip("ts")))) as container, \
            pytest.raises(IndexError):
        for _ in container.demux(container.streams.video[0]):
            pass
