"""A person proposal's score in detect mode: the ResNet's verdict on its crop, weighed with what the detector saw.

The ResNet decides on the crop; the detector's own score for the box and the box's height say how far to trust that
verdict (the ResNet undersells cyclists and people cut off or seated, which the detector is often sure of; the
detector proposes upright shapes of a person's size, a bedpost or a far car, which the ResNet sometimes likes).
The model card's `region_score` block holds a logistic combination fitted on real region crops
(training/videoalert_training/region_fusion.py):

    z = a * (logit(resnet) - logit(threshold)) + b * logit(detector) + c * log(height) + k
    score = sigmoid(logit(threshold) + z)

so a region reaches the file's threshold exactly when z >= 0, and the card's threshold (per file: int8 or fp32) is
still the one number the rule compares with. A card without the block keeps the earlier combination: the ResNet's
score, or the detector's where the detector is sure (DetectorSettings.sure_score).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

CARD_KEY = "region_score"
MIN_HEIGHT = 1e-3  # of the frame: a box's height never taken below this in log(height)
_EPS = 1e-6


def logit(p: np.ndarray | float) -> np.ndarray:
    """log(p / (1 - p)), p kept inside (0, 1)."""
    q = np.clip(np.asarray(p, np.float64), _EPS, 1.0 - _EPS)
    return np.asarray(np.log(q / (1.0 - q)))


@dataclass(frozen=True)
class RegionScore:
    """The fitted weights: ResNet margin (a), detector logit (b), log box height (c), offset (k)."""

    resnet: float
    detector: float
    log_height: float
    offset: float
    detector_version: str | None = None

    @classmethod
    def from_card(cls, card: Mapping[str, Any]) -> RegionScore | None:
        """The card's combination, or None when the card has none (the earlier max-with-sure rule applies)."""
        block = card.get(CARD_KEY)
        if not block:
            return None
        weights = block["weights"]
        return cls(float(weights["resnet_margin"]), float(weights["detector_logit"]), float(weights["log_height"]),
                   float(block["offset"]), block.get("detector_version"))

    def check_detector(self, detector_version: str) -> None:
        """Refuse a detector other than the one the combination was fitted with (its scores mean something else)."""
        if self.detector_version and self.detector_version != detector_version:
            raise ValueError(f"the model card's region_score was fitted with detector {self.detector_version}, not "
                             f"{detector_version}: fit it again (make region-score) or serve the detector it names")

    def scores(self, resnet: np.ndarray, detector: np.ndarray, heights: np.ndarray, threshold: float) -> np.ndarray:
        """Each region's person score on the ResNet's scale: at or over `threshold` exactly when z >= 0."""
        base = float(logit(threshold))
        z = (self.resnet * (logit(resnet) - base) + self.detector * logit(detector)
             + self.log_height * np.log(np.maximum(np.asarray(heights, np.float64), MIN_HEIGHT)) + self.offset)
        return np.asarray(1.0 / (1.0 + np.exp(-(base + z))))


def combine(resnet: np.ndarray, detector: np.ndarray, heights: np.ndarray, threshold: float,
            fitted: RegionScore | None, sure_score: float) -> np.ndarray:
    """The regions' scores: the fitted combination, else the ResNet's or the detector's where it is sure."""
    if fitted is not None:
        return fitted.scores(resnet, detector, heights, threshold)
    detector = np.asarray(detector, np.float64)
    return np.maximum(np.asarray(resnet, np.float64), np.where(detector >= sure_score, detector, 0.0))
