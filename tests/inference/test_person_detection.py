"""Regions "detect": the person detector proposes boxes, the classifier scores each box's crop (the default)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from fixtures.media import CLIPS_DIR, REPO_MODELS
from videoalert_contract.zones import Polygon
from videoalert_inference.detector import Detection, DetectorSettings, load_detector, non_max_suppression
from videoalert_inference.frames import SampledFrame
from videoalert_inference.model import load_classifier
from videoalert_inference.preprocess import resize_rgb
from videoalert_inference.proposals import FrameWork, detect_tiles, propose, to_frame
from videoalert_inference.regions import crop_box
from videoalert_inference.scoring import ScoringRequest, score_clip

STREET = CLIPS_DIR.parent / "real" / "images" / "person" / "street_640x480" / "ethz_street_image_00000015.jpg"
WHOLE_FRAME: Polygon = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


@pytest.fixture(scope="module")
def detector():
    return load_detector(REPO_MODELS, intra_op_threads=1)


@pytest.fixture(scope="module")
def classifier():
    return load_classifier(REPO_MODELS, intra_op_threads=1)


def in_unit_square(box) -> bool:
    return all(0.0 <= v <= 1.0 for v in box) and box[0] < box[2] and box[1] < box[3]


def test_the_detector_proposes_the_pedestrian_of_a_real_street_photo(detector):
    # Given a real 640x480 street photo with a pedestrian walking towards the camera, squashed to the detector's input
    if not STREET.exists():
        pytest.fail(f"shared street photo {STREET} not found: put ../shared beside the clone")
    image = resize_rgb(cv2.cvtColor(cv2.imread(str(STREET)), cv2.COLOR_BGR2RGB), 300)
    # When the detector looks at it
    (found,) = detector.detect(image[None])
    # Then its best proposal is a tall, upright person box inside the frame, and proposals come best first, capped
    best = found[0]
    assert best.score > 0.5 and in_unit_square(best.box)
    assert best.height > 0.4 and best.box[2] - best.box[0] < best.height
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)
    assert len(found) <= detector.settings.max_detections


def test_non_max_suppression_keeps_the_best_of_overlapping_boxes_and_stops_at_the_limit():
    # Given two near-identical boxes, a third apart from them and a fourth apart from all
    boxes = np.array([[0.1, 0.1, 0.3, 0.5], [0.11, 0.1, 0.31, 0.5], [0.5, 0.1, 0.7, 0.5], [0.8, 0.6, 0.9, 0.9]])
    scores = np.array([0.6, 0.9, 0.7, 0.2])
    # When overlaps over 0.5 IoU are suppressed, at most 2 kept, or as many as there are
    # Then the better of the twins leads, its twin is gone, and the limit holds
    assert non_max_suppression(boxes, scores, 0.5, 2) == [1, 2]
    assert non_max_suppression(boxes, scores, 0.5, 10) == [1, 2, 3]


def test_a_proposal_crop_is_padded_widened_to_the_training_aspect_and_kept_inside_the_frame():
    # Given a thin standing person's box in the middle of a 640x480 frame
    box = crop_box((0.45, 0.25, 0.55, 0.75), 640, 480, pad=0.15, min_aspect=0.6)
    # Then the crop is 15 % taller on each side and at least 0.6 as wide as tall, centred on the box
    height = 240 * 1.3
    assert box.y1 - box.y0 == pytest.approx(height, abs=1)
    assert box.x1 - box.x0 == pytest.approx(height * 0.6, abs=1)
    assert (box.x0 + box.x1) / 2 == pytest.approx(320, abs=1)
    # And a wide box keeps its own width, padded
    wide = crop_box((0.2, 0.4, 0.8, 0.6), 640, 480, pad=0.15, min_aspect=0.6)
    assert wide.x1 - wide.x0 == pytest.approx(384 * 1.3, abs=1)
    # And a box at the frame's corner is clipped to the frame, never outside it
    corner = crop_box((0.0, 0.0, 0.05, 0.3), 640, 480)
    assert corner.x0 == 0 and corner.y0 == 0 and corner.x1 <= 640 and corner.y1 <= 480 and corner.x1 > 32


class OneBoxPerView:
    """A detector double: in every view it is given, the same box (fractions of the view)."""

    settings = DetectorSettings(max_detections=4)

    def __init__(self, box=(0.25, 0.25, 0.75, 0.75), score=0.8):
        self.box, self.score, self.views = box, score, 0

    def detect(self, images):
        self.views += len(images)
        return [[Detection(self.box, self.score)] for _ in images]


def test_detection_tiles_cover_the_frame_and_their_boxes_map_back_to_it():
    # Given the four detection tiles
    tiles = detect_tiles()
    # Then they are 60 % of the frame each, two by two, reaching every edge and overlapping in the middle
    assert tiles[0] == pytest.approx((0.0, 0.0, 0.6, 0.6)) and tiles[3] == pytest.approx((0.4, 0.4, 1.0, 1.0))
    # And a box found in the bottom-right tile is placed in the frame's fractions
    assert to_frame((0.5, 0.0, 1.0, 0.5), tiles[3]) == pytest.approx((0.7, 0.4, 1.0, 0.7))


def test_a_frame_searched_with_its_tiles_gets_the_merged_proposals_of_every_view():
    # Given a 640x480 frame and a detector that finds one box in the middle of every view it sees
    full = np.zeros((480, 640, 3), np.uint8)
    frame = SampledFrame(0.0, np.zeros((300, 300, 3), np.uint8), full)
    fake = OneBoxPerView()
    # When the frame is searched whole only, then with its tiles
    (alone,) = propose(fake, [FrameWork(frame)])  # type: ignore[arg-type]
    (tiled,) = propose(fake, [FrameWork(frame, tuple(detect_tiles()))])  # type: ignore[arg-type]
    # Then whole, it is the one box; with tiles, five views were searched and each tile's box is mapped to the frame
    assert [d.box for d in alone] == [(0.25, 0.25, 0.75, 0.75)]
    assert fake.views == 1 + 5
    assert all(in_unit_square(d.box) for d in tiled) and 1 < len(tiled) <= fake.settings.max_detections
    assert (0.15, 0.15, 0.45, 0.45) in [tuple(round(v, 6) for v in d.box) for d in tiled]  # the top-left tile's box


def test_a_clip_with_a_person_gets_person_boxes_and_every_sampled_moment(real_clip, detector, classifier):
    # Given the sample clip in which a person walks through a field from 20 s to 41 s
    # When it is scored with the default regions, the detector proposing and the classifier deciding
    result = score_clip(real_clip("human_01.mp4"), classifier, ScoringRequest(sample_fps=1.0, max_frames=120,
                                                                              detect_tile_every=4), detector=detector)
    # Then every entry is a "person" region, every sampled second is in the timeline, and boxes lie in the frame
    assert {f.region for f in result.frames} == {"person"}
    assert sorted({f.t for f in result.frames}) == [float(s) for s in range(60)] and result.frames_sampled == 60
    boxed = [f for f in result.frames if f.box is not None]
    assert boxed and all(in_unit_square(f.box) for f in boxed)
    # And while the person is in view the detector proposes a box on most seconds; the best entry is one of them
    in_view = {f.t for f in boxed if 21 <= f.t <= 40}
    assert len(in_view) >= 10
    best = max(result.frames, key=lambda f: f.score)
    assert best.box is not None and 20 <= best.t <= 41
    # with the top embeddings from the crops, and the detector's time among the timings
    assert result.top_embeddings and all(e.box is not None and len(e.embedding) == 512 for e in result.top_embeddings)
    assert set(result.timings_ms) == {"decode", "preprocess", "inference", "detect", "total"}


def test_an_empty_scene_keeps_its_timeline_and_scores_lower_than_the_person(real_clip, detector, classifier):
    # Given the empty field (clouds passing) and the same field with a person
    empty = score_clip(real_clip("empty_01.mp4"), classifier, ScoringRequest(sample_fps=1.0, max_frames=120),
                                                                             detector=detector)
    human = score_clip(real_clip("human_01.mp4"), classifier, ScoringRequest(sample_fps=1.0, max_frames=120),
                                                                             detector=detector)
    # Then the empty clip still has every sampled moment, as "person" entries (a frame without proposals: no box)
    assert sorted({f.t for f in empty.frames}) == [float(s) for s in range(60)]
    assert {f.region for f in empty.frames} == {"person"}
    assert all(f.score == 0.0 for f in empty.frames if f.box is None)
    # And the person clip's best region scores higher than anything the empty one proposed
    assert human.max_score > empty.max_score


def test_a_masked_out_frame_gives_the_detector_nothing_to_propose(real_clip, detector, classifier):
    # Given the person clip with a mask over the whole frame
    # When it is scored in detect mode
    request = ScoringRequest(sample_fps=1.0, max_frames=20, detect_tile_every=2, masks=(WHOLE_FRAME,))
    result = score_clip(real_clip("human_01.mp4"), classifier, request, detector=detector)
    # Then the detector saw blank frames (and blank tiles) only: every moment is there, with no box and score 0
    assert len({f.t for f in result.frames}) == 20
    assert all(f.box is None and f.score == 0.0 for f in result.frames) and not result.top_embeddings


def test_detect_mode_without_a_detector_is_refused(tiny_classifier):
    # Given no detector, When detect mode (the default) is asked for, Then the caller is told what is missing
    with pytest.raises(ValueError, match="needs the person detector"):
        score_clip(b"not read", tiny_classifier, ScoringRequest())
    with pytest.raises(ValueError, match="detect_tile_every"):
        score_clip(b"not read", tiny_classifier, ScoringRequest(regions="full", detect_tile_every=-1))


def test_the_handler_answers_a_default_request_with_person_boxes(s3, monkeypatch, real_clip):
    # Given the function configured as in the image, with the released classifier and detector, and a person clip
    from videoalert_inference import handler as inference

    monkeypatch.setenv("MODEL_DIR", str(REPO_MODELS))
    inference.reset_runtime()
    s3.put_object(Bucket="clips", Key="videos/cam1/clip.mp4", Body=real_clip("human_01.mp4"))
    try:
        # When it is asked to score the clip with no regions named
        response = inference.handler({"video_id": "cam1-x", "bucket": "clips", "key": "videos/cam1/clip.mp4",
                                      "max_frames": 45}, None)
    finally:
        inference.reset_runtime()
    # Then the answer's entries are person regions, those with a box within the frame, and the detector is timed
    assert response["ok"] is True
    assert {f["region"] for f in response["frames"]} == {"person"}
    boxes = [f["box"] for f in response["frames"] if "box" in f]
    assert boxes and all(in_unit_square(b) for b in boxes)
    assert "detect" in response["timings_ms"]


def test_a_region_score_weighs_the_resnet_with_the_detector_as_the_card_says(detector, classifier):
    from videoalert_inference.proposals import score_proposals
    from videoalert_inference.region_score import RegionScore

    # Given a real street photo, full size and squashed for the detector, and the released card's combination
    full = cv2.cvtColor(cv2.imread(str(STREET)), cv2.COLOR_BGR2RGB)
    work = [FrameWork(SampledFrame(0.0, resize_rgb(full, 300), full))]
    (found,) = propose(detector, work)
    fitted = RegionScore.from_card(classifier.card)
    assert fitted is not None and fitted.detector_version == detector.version
    # When its proposals are scored with the combination, then without it and the detector never sure
    fused = score_proposals(work, detector, classifier).scores
    classifier.region_score, saved = None, classifier.region_score
    try:
        from dataclasses import replace

        detector.settings, settings = replace(detector.settings, sure_score=1.01), detector.settings
        resnet_only = score_proposals(work, detector, classifier).scores
    finally:
        classifier.region_score, detector.settings = saved, settings
    # Then each region's score is the combination of the ResNet's score, the detector's and the box's height
    expected = fitted.scores(resnet_only, np.array([d.score for d in found]), np.array([d.height for d in found]),
                             classifier.threshold)
    assert list(fused) == pytest.approx(list(expected), abs=1e-6)
    # and a region both models call a person (the street's pedestrians) stays over the threshold
    assert max(fused) >= classifier.threshold
    assert detector.settings.min_score >= 0.1 and 0.5 < detector.settings.sure_score <= 1.0


def test_a_clip_keeps_the_embeddings_of_distinct_regions_best_first():
    from videoalert_inference.scoring import top_regions

    # Given a parked car proposed in two frames (the same place), a person elsewhere, and a frame with no proposal
    scores = np.array([0.9, 0.88, 0.7, 0.0])
    boxes = [[0.1, 0.5, 0.4, 0.9], [0.11, 0.5, 0.41, 0.9], [0.6, 0.2, 0.7, 0.7], None]
    embedded = np.array([True, True, True, False])
    # When the clip's top embeddings are chosen
    # Then the car is kept once and the person too (the memory can tell the two places apart); no crop, no embedding
    assert top_regions(scores, boxes, embedded, 4) == [0, 2]
    assert top_regions(scores, boxes, embedded, 1) == [0]
