"""Blank what a camera does not look at: pixels outside every zone or inside a mask (videoalert_contract.zones)
take the model's mean colour, which normalises to zero, before the frame is scored or searched for motion."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videoalert_contract.zones import Polygon


def _inside(poly: Polygon, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Even-odd ray casting over arrays of points: the vectorised form of videoalert_contract.zones.contains."""
    inside = np.zeros(xs.shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(poly, [*poly[1:], poly[0]], strict=True):
        if y0 == y1:
            continue  # a horizontal edge never crosses a horizontal ray
        crosses = (y0 > ys) != (y1 > ys)
        at = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs < at)
    return inside


def allowed_mask(height: int, width: int, zones: Sequence[Polygon], masks: Sequence[Polygon]) -> np.ndarray:
    """HxW booleans: True where a pixel's centre is looked at (in a zone, or there are none; in no mask)."""
    xs = (np.arange(width, dtype=np.float64) + 0.5) / width
    ys = (np.arange(height, dtype=np.float64) + 0.5) / height
    gx, gy = np.meshgrid(xs, ys)
    ok = np.ones((height, width), dtype=bool)
    if zones:
        in_zone = np.zeros((height, width), dtype=bool)
        for zone in zones:
            in_zone |= _inside(zone, gx, gy)
        ok &= in_zone
    for mask in masks:
        ok &= ~_inside(mask, gx, gy)
    return ok


class Blanker:
    """Blanks whole frames of any size (the model-size squash, the full frame, the tile canvas): the mask of each
    size is computed once per clip."""

    def __init__(self, zones: Sequence[Polygon], masks: Sequence[Polygon], fill_rgb: Sequence[float]):
        self.zones, self.masks = tuple(zones), tuple(masks)
        self.fill = np.asarray([round(v) for v in fill_rgb], dtype=np.uint8)
        self._masks: dict[tuple[int, int], np.ndarray] = {}

    @property
    def active(self) -> bool:
        return bool(self.zones or self.masks)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if not self.active:
            return image
        height, width = image.shape[:2]
        ok = self._masks.get((height, width))
        if ok is None:
            ok = self._masks[(height, width)] = allowed_mask(height, width, self.zones, self.masks)
        return np.where(ok[:, :, None], image, self.fill)
