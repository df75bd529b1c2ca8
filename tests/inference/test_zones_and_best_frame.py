"""Masks and zones in the inference image (blanked before scoring) and the best frame it answers with: the real
decoded frame, its region outlined, as a JPEG."""
from __future__ import annotations

import io

import av
import numpy as np

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from videoalert_contract.inference import InferenceRequest, parse_response
from videoalert_contract.zones import parse_polygon
from videoalert_inference.best_frame import best_entry, encode_jpeg, outline
from videoalert_inference.handler import handler
from videoalert_inference.scoring import FrameScore, ScoringRequest, score_clip

RIGHT_HALF = parse_polygon("0.5,0 1,0 1,1 0.5,1")
LEFT_HALF = parse_polygon("0,0 0.5,0 0.5,1 0,1")


def red_right_half(t: float, image: np.ndarray) -> None:
    """A 'person' (red, for the tiny model) in the right half of the frame from 3 s to 7 s."""
    if 3 <= t < 7:
        image[:, image.shape[1] // 2:] = RED


CLIP = encode_clip(cfr_times(10, 5), lambda t: BLUE, size=(96, 64), paint=red_right_half)


def test_a_mask_over_the_person_blanks_it_before_scoring(tiny_classifier):
    plain = score_clip(CLIP, tiny_classifier, ScoringRequest(regions="full"))
    masked = score_clip(CLIP, tiny_classifier, ScoringRequest(regions="full", masks=(RIGHT_HALF,)))
    zoned = score_clip(CLIP, tiny_classifier, ScoringRequest(regions="full",
                                                             zones=(LEFT_HALF,)))  # outside every zone: as masked
    assert plain.max_score > 0.3  # half the frame red
    assert masked.max_score < 0.05 and zoned.max_score == masked.max_score
    # the person inside the zone is seen, the blanked rest no longer dilutes it
    assert score_clip(CLIP, tiny_classifier, ScoringRequest(regions="full", zones=(RIGHT_HALF,))).max_score > 0.9


def test_the_best_entry_is_the_best_one_that_counts():
    frames = [FrameScore(1.0, 0.9, "tile", [0.6, 0.0, 1.0, 0.4]), FrameScore(2.0, 0.7, "tile", [0.0, 0.0, 0.4, 0.4]),
              FrameScore(2.0, 0.3, "full")]
    assert best_entry(frames, (), ()).t == 1.0
    assert best_entry(frames, (LEFT_HALF,), ()).t == 2.0 and best_entry(frames, (LEFT_HALF,), ()).score == 0.7
    assert best_entry([], (), ()) is None


def test_outline_and_jpeg_encoding_keep_the_picture():
    image = np.zeros((48, 64, 3), np.uint8)
    drawn = outline(image, [0.25, 0.25, 0.75, 0.75])
    assert tuple(drawn[12, 32]) == (255, 32, 32) and tuple(drawn[24, 32]) == (0, 0, 0) and not image.any()
    jpeg = encode_jpeg(np.full((480, 1280, 3), 128, np.uint8))
    with av.open(io.BytesIO(jpeg)) as container:
        frame = next(container.decode(video=0))
    assert jpeg[:2] == b"\xff\xd8" and (frame.width, frame.height) == (640, 240)


def test_the_handler_answers_with_the_decoded_best_frame_when_asked(inference_env):
    inference_env.put_object(Bucket="clips", Key="videos/cam1/clip.mp4", Body=CLIP)
    request = InferenceRequest("cam1-20260101T000000Z", "clips", ("videos/cam1/clip.mp4",), sample_fps=1.0,
                               regions="tiles", best_frame=True)
    answer = parse_response(handler(request.to_payload(), None))
    best = answer.best_frame
    assert best is not None and 3.0 <= best.frame.t < 7.0
    with av.open(io.BytesIO(best.jpeg)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert frame.shape[:2] == (64, 96)  # the clip's own resolution, not the model's
    right, left = frame[32, 80].astype(int), frame[32, 10].astype(int)
    assert right[0] > 150 and right[2] < 100 and left[2] > 150  # the real frame: person right, sky left
    # Not asked: no picture in the answer
    plain = parse_response(handler(InferenceRequest("v", "clips", ("videos/cam1/clip.mp4",)).to_payload(), None))
    assert plain.best_frame is None
    # A masked person yields no counting tile: the best frame is a whole frame, with no outline
    masked = parse_response(handler(InferenceRequest("v", "clips", ("videos/cam1/clip.mp4",), regions="tiles",
                                                     masks=(RIGHT_HALF,), best_frame=True).to_payload(), None))
    assert masked.best_frame is not None and masked.best_frame.frame.box is None
