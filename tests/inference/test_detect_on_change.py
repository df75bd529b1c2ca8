"""The detector looks again only where the picture changed: still minutes cost less, and decide the same."""
from __future__ import annotations

import numpy as np
import pytest

from fixtures.media import REPO_MODELS
from videoalert_inference.detector import Detection, DetectorSettings, load_detector
from videoalert_inference.frames import SampledFrame
from videoalert_inference.model import load_classifier
from videoalert_inference.proposals import MAX_UNIT_BYTES, DetectPlan, FrameWork, detect_tiles, propose
from videoalert_inference.scene_change import change, thumbnail
from videoalert_inference.scoring import ScoringRequest, score_clip
from videoalert_inference.settings import InferenceSettings


def scene(seed: int = 0) -> np.ndarray:
    """A textured 300x300 picture, the same for a seed."""
    return np.random.default_rng(seed).integers(40, 200, (300, 300, 3), dtype=np.uint8)


def noisy(image: np.ndarray, seed: int, sigma: float = 3.0) -> np.ndarray:
    """The picture with fresh sensor noise."""
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def with_figure(image: np.ndarray, x: int, y: int, height: int = 24, width: int = 8) -> np.ndarray:
    """The picture with a dark upright figure (a far person: 8 % of the frame's height) at (x, y)."""
    out = image.copy()
    out[y:y + height, x:x + width] = 20
    return out


def frame(t: float, image: np.ndarray) -> SampledFrame:
    return SampledFrame(t, image, image)


def test_noise_and_a_light_change_over_the_whole_picture_are_no_change_but_a_far_figure_is():
    # Given a scene, the same scene with sensor noise, brighter by 25 grey levels, and with a far figure in it
    still = thumbnail(scene())
    # Then noise and the light change are within a few grey levels; the figure changes its cells by far more
    assert change(still, thumbnail(noisy(scene(), 1))) < 3
    assert change(still, thumbnail(np.clip(scene().astype(int) + 25, 0, 255).astype(np.uint8))) < 3
    figure = thumbnail(with_figure(scene(), 200, 200))
    assert change(still, figure) > 30
    # And the change is found where it is: in the bottom-right tile, not in the top-left one
    top_left, _, _, bottom_right = detect_tiles()
    assert change(still, figure, bottom_right) > 30 and change(still, figure, top_left) < 3


def test_a_whole_new_picture_or_a_light_switched_on_is_a_change_even_in_colours_of_one_grey():
    # Given an all-blue picture, then an all-red one (the same grey level), and a room whose light is switched on
    blue, red = np.zeros((300, 300, 3), np.uint8), np.zeros((300, 300, 3), np.uint8)
    blue[..., 2], red[..., 0] = 255, 255
    dark = (scene().astype(np.float32) * 0.3).astype(np.uint8)
    # Then each is a change everywhere: the shift of the whole picture is past what exposure drift does
    assert change(thumbnail(blue), thumbnail(red)) > 100
    assert change(thumbnail(dark), thumbnail(scene()), detect_tiles()[0]) > 8


def test_a_still_minute_is_looked_at_once_and_every_frame_keeps_its_place_in_the_timeline():
    # Given twelve frames of a still scene with sensor noise, tiles every 4th frame
    plan = DetectPlan(tile_every=4, change_level=8.0, frames_per_unit=2)
    units = [u for u in (plan.add(frame(float(t), noisy(scene(), t))) for t in range(12)) if u]
    units.append(plan.flush() or [])
    work = [w for unit in units for w in unit]
    # Then every frame is planned, in order; the detector looks at the first, whole and in its four tiles, only
    assert [w.frame.t for w in work] == [float(t) for t in range(12)]
    assert [w.detect for w in work] == [True] + [False] * 11
    assert work[0].tiles == tuple(detect_tiles()) and not any(w.tiles for w in work[1:])
    # And each unit starts with a frame the detector looks at
    assert all(unit[0].detect for unit in units)


def test_a_figure_walking_in_is_looked_at_whole_and_in_the_tiles_it_changed():
    # Given a still scene in which, from the 5th frame on, a far figure walks along the bottom-right
    plan = DetectPlan(tile_every=4, change_level=8.0, frames_per_unit=2)
    images = [noisy(scene(), t) for t in range(4)] + \
        [noisy(with_figure(scene(), 200 + 10 * t, 240), t) for t in range(4, 9)]
    work = [w for u in [plan.add(frame(float(t), im)) for t, im in enumerate(images)] + [plan.flush()] if u
            for w in u]
    # Then the still frames take the first frame's proposals and every frame with the figure moving is looked at
    assert [w.detect for w in work] == [True, False, False, False, True, True, True, True, True]
    # And the tile turns after the first search only the tiles the figure changed (the right-hand and bottom ones)
    bottom_right = detect_tiles()[3]
    assert bottom_right in work[4].tiles and detect_tiles()[0] not in work[4].tiles and work[8].tiles
    assert detect_tiles()[0] not in work[8].tiles


def test_with_change_level_0_every_frame_is_looked_at_and_every_tile_turn_searches_four_tiles():
    plan = DetectPlan(tile_every=4, change_level=0.0, frames_per_unit=2)
    work = [w for u in [plan.add(frame(float(t), scene())) for t in range(8)] + [plan.flush()] if u for w in u]
    assert all(w.detect for w in work) and [len(w.tiles) for w in work] == [4, 0, 0, 0, 4, 0, 0, 0]


def test_a_unit_of_big_frames_holds_no_more_than_its_memory_budget():
    # Given a still 4K camera: full frames of 25 MB each
    big = np.zeros((2160, 3840, 3), np.uint8)
    plan = DetectPlan(tile_every=0, change_level=8.0, frames_per_unit=2)
    units = [u for u in (plan.add(SampledFrame(float(t), scene(), big)) for t in range(6)) if u]
    # Then a unit holds as many as the detector looks at in a unit anyway (2), not the 16 a small camera's holds
    assert units and all(len(u) <= max(2, MAX_UNIT_BYTES // big.nbytes) for u in units)


class SurePerson:
    """A detector double: in the whole frame a person it is sure of; in a tile, a person it is not sure of."""

    settings = DetectorSettings(max_detections=4)

    def __init__(self, whole_score: float):
        self.whole_score, self.views = whole_score, 0

    def detect(self, images):
        self.views += len(images)
        return [[Detection((0.4, 0.2, 0.6, 0.9), self.whole_score if self.views - len(images) == 0 else 0.3)]
                for _ in images]


@pytest.mark.parametrize(("whole_score", "views"), [(0.95, 1), (0.5, 5)])
def test_tiles_are_not_searched_where_the_whole_frame_holds_a_person_the_detector_is_sure_of(whole_score, views):
    # Given a tile turn's frame
    image = scene()
    fake = SurePerson(whole_score)
    # When the whole frame shows a person the detector is sure of (score over sure_score) or not
    (found,) = propose(fake, [FrameWork(frame(0.0, image), tuple(detect_tiles()))])  # type: ignore[arg-type]
    # Then the tiles are searched only when it is not (the frame's score is already over any threshold when it is)
    assert fake.views == views and found[0].score == whole_score


def test_a_frame_the_detector_does_not_look_at_takes_the_last_looked_at_frames_proposals():
    fake = SurePerson(0.95)
    work = [FrameWork(frame(0.0, scene())), FrameWork(frame(1.0, scene()), detect=False)]
    first, second = propose(fake, work)  # type: ignore[arg-type]
    assert fake.views == 1 and first == second
    with pytest.raises(ValueError, match="starts with a frame the detector looks at"):
        propose(fake, work[1:])  # type: ignore[arg-type]


def test_the_shipped_setting_scores_the_sample_clips_as_every_frame_looked_at_does_for_fewer_views(real_clip):
    # Given the served models and the inference function's settings, and two sample clips with long still stretches
    detector = load_detector(REPO_MODELS, intra_op_threads=1)
    classifier = load_classifier(REPO_MODELS, intra_op_threads=1)
    options = InferenceSettings.from_env({"MODEL_DIR": str(REPO_MODELS)}).scoring_options()
    assert options["detect_change_level"] > 0
    for name in ("human_01.mp4", "empty_02.mp4"):
        clip = real_clip(name)
        # When each is scored with the shipped change level and with the detector looking at every frame
        gated = score_clip(clip, classifier, ScoringRequest(1.0, 120, regions="detect", **options), detector=detector)
        every = score_clip(clip, classifier, ScoringRequest(1.0, 120, regions="detect",
                                                            **{**options, "detect_change_level": 0.0}),
                           detector=detector)

        def best(result):
            out: dict[float, float] = {}
            for f in result.frames:
                out[f.t] = max(out.get(f.t, 0.0), f.score)
            return out
        # Then every sampled second has the same best score, and the detector looked at under half the views
        assert best(gated) == pytest.approx(best(every), abs=1e-6)
        assert gated.detector_views < every.detector_views / 2
