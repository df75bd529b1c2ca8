"""How detect mode weighs the ResNet's verdict on a crop with the detector's score and the box's height."""
from __future__ import annotations

import numpy as np
import pytest

from videoalert_inference.region_score import RegionScore, combine, logit

FITTED = RegionScore(resnet=1.2, detector=0.8, log_height=0.3, offset=0.5)


def test_a_region_reaches_the_threshold_exactly_where_the_combination_is_zero():
    # Given a fitted combination and the file's threshold
    threshold = 0.72
    # When the ResNet's score makes z = 0 for a box the detector scored 0.3 at a fifth of the frame's height
    rest = FITTED.detector * float(logit(0.3)) + FITTED.log_height * np.log(0.2) + FITTED.offset
    resnet = 1 / (1 + np.exp(-(float(logit(threshold)) - rest / FITTED.resnet)))
    (at,) = FITTED.scores(np.array([resnet]), np.array([0.3]), np.array([0.2]), threshold)
    # Then the region scores the threshold itself; a little more or less ResNet moves it across
    assert at == pytest.approx(threshold, abs=1e-9)
    above, below = FITTED.scores(np.array([resnet + 0.01, resnet - 0.01]), np.array([0.3, 0.3]),
                                 np.array([0.2, 0.2]), threshold)
    assert below < threshold < above


def test_the_same_crop_scores_higher_when_the_detector_is_surer_or_the_box_taller():
    threshold = 0.72
    resnet = np.full(3, 0.6)
    surer = FITTED.scores(resnet, np.array([0.2, 0.5, 0.9]), np.full(3, 0.2), threshold)
    taller = FITTED.scores(resnet, np.full(3, 0.3), np.array([0.05, 0.2, 0.6]), threshold)
    assert list(surer) == sorted(surer) and surer[0] < surer[2]
    assert list(taller) == sorted(taller) and taller[0] < taller[2]


def test_a_card_without_a_combination_keeps_the_resnet_or_the_sure_detector():
    # Given a model card without the block
    assert RegionScore.from_card({"model_version": "m"}) is None
    # Then a region's score is the ResNet's, or the detector's where it is sure
    scores = combine(np.array([0.2, 0.8, 0.3]), np.array([0.95, 0.5, 0.4]), np.full(3, 0.3), 0.72, None, 0.9)
    assert list(scores) == pytest.approx([0.95, 0.8, 0.3])


def test_the_card_block_is_read_as_written():
    card = {"region_score": {"weights": {"resnet_margin": 1.2, "detector_logit": 0.8, "log_height": 0.3},
                             "offset": 0.5, "detector_version": "person_detector-397e5f14"}}
    assert RegionScore.from_card(card) == RegionScore(1.2, 0.8, 0.3, 0.5, "person_detector-397e5f14")
