"""The dispatcher <-> inference payloads: one definition, validated on the way in, the same JSON both ways."""
from __future__ import annotations

import json

import pytest

from videoalert_contract.errors import BAD_REQUEST, ERROR_CODES, BadInputError
from videoalert_contract.inference import (
    DEFAULT_REGIONS,
    REGION_MODES,
    InferenceRequest,
    MalformedResponse,
    PictureSource,
    RegionMode,
    RejectedClip,
    ScoredClip,
    parse_response,
    region_key,
)


def test_a_request_goes_over_the_wire_and_back_unchanged():
    # Given the request the dispatcher builds for a two-part clip with URLs
    request = InferenceRequest("cam1-x", "videos", ("videos/a.mp4", "videos/a.part2.mp4"), sample_fps=2.0,
                               regions="both", urls=("https://s3/a", "https://s3/b"))
    # When it is sent as JSON and read by the function
    back = InferenceRequest.from_payload(json.loads(json.dumps(request.to_payload())))
    # Then it is the same request, and the wire names the first part `key`, the others `more_keys`
    assert back == request
    assert request.to_payload()["key"] == "videos/a.mp4" and request.to_payload()["more_keys"] == ["videos/a.part2.mp4"]


def test_urls_are_left_out_of_a_request_without_them():
    assert "urls" not in InferenceRequest("v", "b", ("k",)).to_payload()


def test_a_window_of_a_long_upload_travels_as_its_time_range():
    window = InferenceRequest("cam1-up-x-w0003", "videos", ("videos/a.mp4",), start_s=180.0, end_s=240.0)
    assert InferenceRequest.from_payload(json.loads(json.dumps(window.to_payload()))) == window
    last = InferenceRequest("cam1-up-x-w0004", "videos", ("videos/a.mp4",), start_s=240.0)
    assert InferenceRequest.from_payload(json.loads(json.dumps(last.to_payload()))) == last
    assert "start_s" not in InferenceRequest("v", "b", ("k",)).to_payload()  # a whole clip: as before


def test_a_short_clip_is_sampled_twelve_times_unless_the_request_says_otherwise():
    assert InferenceRequest.from_payload({"video_id": "v", "bucket": "b", "key": "k"}).min_samples == 12
    assert "min_samples" not in InferenceRequest("v", "b", ("k",)).to_payload()
    fewer = InferenceRequest("v", "b", ("k",), min_samples=0)
    assert InferenceRequest.from_payload(json.loads(json.dumps(fewer.to_payload()))) == fewer


def test_a_detect_mode_clip_keeps_eight_region_embeddings_and_whole_frames_four_unless_asked():
    # The false-positive memory remembers every region of a labelled clip (bench/memory_options.py chose 8)
    assert InferenceRequest("v", "b", ("k",)).top_k_embeddings == 8
    assert InferenceRequest("v", "b", ("k",), regions="full").top_k_embeddings == 4
    assert InferenceRequest.from_payload({"video_id": "v", "bucket": "b", "key": "k"}).top_k_embeddings == 8
    assert InferenceRequest.from_payload({"video_id": "v", "bucket": "b", "key": "k", "regions": "tiles"}
                                         ).top_k_embeddings == 4
    asked = InferenceRequest("v", "b", ("k",), top_k_embeddings=2)
    assert InferenceRequest.from_payload(json.loads(json.dumps(asked.to_payload()))) == asked


@pytest.mark.parametrize("bad", [{"top_k_embeddings": -2}, {"regions": "tiles?"}, {"sample_fps": 0},
                                 {"max_frames": True}, {"key": ""},
                                 {"urls": ["file:///etc/passwd"]}, {"urls": ["https://a", "https://b"]},
                                 {"start_s": -1}, {"start_s": 60, "end_s": 60}, {"end_s": "soon"},
                                 {"min_samples": -1}, {"min_samples": 1001}, {"min_samples": 2.5}])
def test_a_malformed_request_is_a_bad_request_not_a_crash(bad):
    with pytest.raises(BadInputError) as caught:
        InferenceRequest.from_payload({"video_id": "v", "bucket": "b", "key": "k", **bad})
    assert caught.value.code == BAD_REQUEST


def test_region_modes_are_defined_once_and_a_box_region_is_named_by_its_json():
    assert REGION_MODES == ("full", "motion", "both", "tiles", "detect") == tuple(RegionMode)
    # plain text, as a CLI lists the choices and an error names them ('full', never <RegionMode.FULL: 'full'>)
    assert [type(mode) for mode in REGION_MODES] == [str] * 5 and repr(REGION_MODES[0]) == "'full'"
    # a request or rule given the text holds the enum (one type however it was made)
    assert InferenceRequest("v", "b", ("k",), regions="tiles").regions is RegionMode.TILES
    assert DEFAULT_REGIONS == "detect" and InferenceRequest("v", "b", ("k",)).regions == DEFAULT_REGIONS
    assert region_key(None) == "full" and region_key("motion") == "motion"
    assert region_key([10, 10, 50, 80]) == "[10,10,50,80]"


def test_a_scored_answer_reads_back_typed_and_writes_the_same_json():
    payload = {"ok": True, "video_id": "v", "model_version": "m1", "threshold": 0.9,
               "frames": [{"t": 0.0, "score": 0.95, "region": "full"},
                          {"t": 0.0, "score": 0.97, "region": "motion", "box": [0.1, 0.2, 0.3, 0.4]}],
               "top_embeddings": [{"t": 0.0, "score": 0.97, "region": "motion", "box": [0.1, 0.2, 0.3, 0.4],
                                   "embedding": [1.0, 0.0]}],
               "video": {"width": 640, "height": 480}, "timings_ms": {"decode": 1.5, "total": 2.0}}
    scored = parse_response(payload)
    assert isinstance(scored, ScoredClip) and scored.frames[1].box == (0.1, 0.2, 0.3, 0.4)
    assert scored.to_payload() == payload


def test_a_rejection_reads_back_with_its_code():
    answer = parse_response({"ok": False, "video_id": "v", "error": {"code": "NO_FRAMES", "message": "none"}})
    assert answer == RejectedClip("v", "NO_FRAMES", "none") and answer.code in ERROR_CODES


@pytest.mark.parametrize("payload", [None, [], {"video_id": "v"}, {"ok": True, "frames": []},
                                     {"ok": True, "threshold": 0.5, "frames": [{"score": 0.1}]}])
def test_an_answer_that_is_not_a_response_is_malformed(payload):
    with pytest.raises(MalformedResponse):
        parse_response(payload)


def test_a_sub_stream_request_carries_where_its_picture_is_cut_from_and_back():
    # Given a request scoring a camera's sub-stream, its picture to be cut from the main stream's clip
    picture = PictureSource(keys=("videos/m.part1.mp4", "videos/m.part2.mp4"), offset_s=0.25, min_score=0.72)
    request = InferenceRequest("v1", "bucket", ("videos/m.sub1-ab.mp4",), best_frame=True, picture=picture)
    # When it goes over the wire and back, Then it is unchanged; without a picture source the payload has none
    payload = json.loads(json.dumps(request.to_payload()))
    assert InferenceRequest.from_payload(payload) == request and payload["picture"]["keys"][1] == "videos/m.part2.mp4"
    assert "picture" not in InferenceRequest("v1", "bucket", ("k",)).to_payload()


@pytest.mark.parametrize("picture", [[], {"keys": []}, {"keys": ["k"], "urls": ["ftp://x"]},
                                     {"keys": ["k"], "offset_s": "soon"}])
def test_a_malformed_picture_source_is_a_bad_request(picture):
    with pytest.raises(BadInputError) as caught:
        InferenceRequest.from_payload({"video_id": "v", "bucket": "b", "key": "k", "picture": picture})
    assert caught.value.code == BAD_REQUEST
