"""Motion-gated regions: boxes around what moved between sampled frames, cropped at full resolution for the model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

# Regions a camera may ask to be classified (request field `regions`).
REGION_FULL = "full"
REGION_MOTION = "motion"
REGION_MODES = ("full", "motion", "both")


class Box(NamedTuple):
    """Pixel box [x0, x1) x [y0, y1) in the full-resolution frame."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def area(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def fractions(self, width: int, height: int) -> list[float]:
        """The contract's form: [x0, y0, x1, y1] as fractions of the frame, 3 decimals."""
        return [round(self.x0 / width, 3), round(self.y0 / height, 3),
                round(self.x1 / width, 3), round(self.y1 / height, 3)]


@dataclass(frozen=True)
class MotionSettings:
    """Tuned on the shared clips (bench/motion_regions.py) for 1 fps sampling of 640x480 cameras.

    Crop framing was measured with release 2 (threshold 0.770): tighter crops (pad 0.1, min side 0.15) lift a
    far person's crops over the threshold in 21 of 40 seconds instead of 5, but also horse_02's in 3 seconds
    instead of 1 (a false alert under the default 2-frame rule), so the looser framing stays.
    """

    work_width: int = 160  # detection runs on a downscaled copy: 16x fewer pixels, noise averaged away
    history: int = 20  # samples the background model remembers (20 s at 1 fps): a parked object fades out
    var_threshold: float = 25.0  # MOG2 squared Mahalanobis distance for "changed"
    illumination_sigma: float = 6.0  # work pixels; smoother changes than this count as light, not objects
    max_changed_fraction: float = 0.4  # more of the frame changed at once: a light or the camera moved
    max_brightness_change: float = 0.15  # relative change of mean brightness between samples: a light switched
    min_area_fraction: float = 0.001  # of the frame; blobs smaller than this are noise
    pad: float = 0.2  # of the box side, on each side: the model was trained on whole subjects with margins
    min_side_fraction: float = 0.2  # of the frame's shorter side: tiny crops would be upscaled mush
    max_boxes: int = 3  # per frame, the largest: bounds the extra inference cost


class MotionDetector:
    """Feed the sampled frames of one clip in time order; each call returns the moving regions of that frame.

    Why MOG2 and not frame differencing: samples are a second apart, so differencing two of them marks both
    where a subject was and where it is now, and sensor noise or swaying foliage has to be thresholded by hand.
    MOG2 keeps a per-pixel model of the background's own variation over `history` samples, so a still object
    (a statue, a parked car) is background from the start or fades into it, and only what departs from the
    model is a region. Illumination is removed before the model sees the frame: the image is taken in log
    space minus its heavily blurred self, so a light switching on (a gain on every pixel) or a cloud shadow
    (a smooth gain) leaves the input almost unchanged; what is left over is capped by `max_changed_fraction`.
    """

    def __init__(self, settings: MotionSettings = MotionSettings()):
        self.settings = settings
        self._model = cv2.createBackgroundSubtractorMOG2(history=settings.history,
                                                         varThreshold=settings.var_threshold,
                                                         detectShadows=False)
        self._frames_seen = 0
        self._last_brightness = 0.0
        self.last_changed_fraction = 0.0

    def boxes(self, frame_rgb: np.ndarray) -> list[Box]:
        """Moving regions of this frame (largest first, at most max_boxes); none for the first frame."""
        height, width = frame_rgb.shape[:2]
        small, brightness = self._normalised(frame_rgb)
        # The first frame only teaches the model: there is nothing yet to have moved against.
        mask = self._model.apply(small, learningRate=1.0 if self._frames_seen == 0 else -1)
        self._frames_seen += 1
        previous, self._last_brightness = self._last_brightness, brightness
        self.last_changed_fraction = 0.0
        if self._frames_seen == 1:
            return []
        # Normalising removes a light's gain, but not what it clips to white or lifts out of black: a sudden
        # jump of the whole frame's brightness is a light, and its frame says nothing about subjects.
        if abs(brightness - previous) > self.settings.max_brightness_change * max(previous, 1.0):
            return []
        mask = _clean(mask)
        self.last_changed_fraction = float(np.count_nonzero(mask)) / mask.size
        if self.last_changed_fraction > self.settings.max_changed_fraction:
            return []
        scale = width / small.shape[1]
        return self._regions(mask, scale, width, height)

    def _normalised(self, frame_rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """The illumination-free detail image MOG2 models, and the frame's mean brightness."""
        s = self.settings
        height, width = frame_rgb.shape[:2]
        work_height = max(1, round(height * s.work_width / width))
        gray = cv2.cvtColor(cv2.resize(frame_rgb, (s.work_width, work_height), interpolation=cv2.INTER_AREA),
                            cv2.COLOR_RGB2GRAY)
        log = np.log1p(gray.astype(np.float32))
        detail = log - cv2.GaussianBlur(log, (0, 0), s.illumination_sigma)
        # log1p(255) is about 5.5, so detail spans about +-1: spread it over the 8-bit range MOG2 expects.
        return np.clip(128.0 + 96.0 * detail, 0, 255).astype(np.uint8), float(gray.mean())

    def _regions(self, mask: np.ndarray, scale: float, width: int, height: int) -> list[Box]:
        s = self.settings
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_area = s.min_area_fraction * mask.size
        blobs = [Box(int(x * scale), int(y * scale), int((x + w) * scale), int((y + h) * scale))
                 for x, y, w, h, area in stats[1:count] if area >= min_area]
        padded = [_pad(b, s.pad, width, height) for b in blobs]
        merged = sorted(_merge_overlapping(padded), key=lambda b: b.area, reverse=True)[: s.max_boxes]
        min_side = round(s.min_side_fraction * min(width, height))
        return [_square(b, min_side, width, height) for b in merged]


def crop(frame_rgb: np.ndarray, box: Box) -> np.ndarray:
    return frame_rgb[box.y0:box.y1, box.x0:box.x1]


def _clean(mask: np.ndarray) -> np.ndarray:
    """Drop speckle (compression noise), then join the parts of one subject (legs, arms, head)."""
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=2)


def _pad(box: Box, pad: float, width: int, height: int) -> Box:
    dx, dy = round((box.x1 - box.x0) * pad), round((box.y1 - box.y0) * pad)
    return Box(max(0, box.x0 - dx), max(0, box.y0 - dy), min(width, box.x1 + dx), min(height, box.y1 + dy))


def _overlap(a: Box, b: Box) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _merge_overlapping(boxes: list[Box]) -> list[Box]:
    """Union boxes that overlap (after padding, "nearby" overlaps too) until none do."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _overlap(boxes[i], boxes[j]):
                    a, b = boxes[i], boxes.pop(j)
                    boxes[i] = Box(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))
                    merged = True
                    break
            if merged:
                break
    return boxes


def _square(box: Box, min_side: int, width: int, height: int) -> Box:
    """Grow to a square of at least min_side around the box's centre, shifted (not cut) to stay in the frame.

    The model squashes its input to a square, so a square crop keeps the subject's proportions, as in training.
    """
    side = min(max(box.x1 - box.x0, box.y1 - box.y0, min_side), width, height)
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    x0 = int(min(max(0, round(cx - side / 2)), width - side))
    y0 = int(min(max(0, round(cy - side / 2)), height - side))
    return Box(x0, y0, x0 + side, y0 + side)
