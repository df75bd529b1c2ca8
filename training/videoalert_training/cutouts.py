"""Cut the subject out of each training render (GrabCut), cached on disk, for compositing onto new scenes."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .data import LabelledImage, read_rgb

log = logging.getLogger(__name__)
MASK_SIZE = 150  # GrabCut at half resolution: 0.16 s per image instead of ~0.6 s, edges are feathered anyway


@dataclass
class Cutout:
    """A training render, its subject mask (0..1 float) and its label."""

    rgb: np.ndarray
    alpha: np.ndarray
    label: int


# The renders are framed on their subject: GrabCut starts from this box (x, y, w, h as fractions).
RENDER_RECT = (0.04, 0.02, 0.92, 0.97)


def subject_mask(rgb: np.ndarray, rect: tuple[float, float, float, float] = RENDER_RECT) -> np.ndarray:
    """Foreground mask of an image whose subject lies inside `rect` (fractions of the image).

    GrabCut initialises its colour models with k-means on OpenCV's global random generator: seeded here, so a
    mask depends on the image alone, not on whatever drew random numbers in the process before it."""
    cv2.setRNGSeed(0)
    small = cv2.resize(rgb, (MASK_SIZE, MASK_SIZE), interpolation=cv2.INTER_AREA)
    mask = np.zeros(small.shape[:2], np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    rect = tuple(int(round(MASK_SIZE * f)) for f in rect)
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, rect, bgd, fgd, 4, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    # Drop small stray islands (they would teach "floating patches") but keep a head split from a torso.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg)
    if count > 1:
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = 1 + np.nonzero(areas >= 0.05 * areas.max())[0]
        fg = np.isin(labels, keep).astype(np.uint8)
    return cv2.resize(fg * 255, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR)


def load_cutouts(items: list[LabelledImage], cache_dir: str | Path,
                 rect: tuple[float, float, float, float] = RENDER_RECT) -> list[Cutout]:
    """Masks for every item, computed once and cached by file content and GrabCut box."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    result = []
    computed = 0
    for item in items:
        raw = item.path.read_bytes()
        key = hashlib.sha256(raw).hexdigest()[:24]
        if rect != RENDER_RECT:  # the renders' cache keys stay as they were
            key += "-" + hashlib.sha256(repr(rect).encode()).hexdigest()[:8]
        rgb = read_rgb(item.path)
        mask_path = cache_dir / f"{key}.png"
        mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) if mask_path.exists() else None
        if mask is None or mask.shape != rgb.shape[:2]:
            mask = subject_mask(rgb, rect)
            cv2.imwrite(str(mask_path), mask)
            computed += 1
        result.append(Cutout(rgb=rgb, alpha=mask.astype(np.float32) / 255.0, label=item.label))
    log.info("cutouts: %d images, %d masks computed, %d from cache %s", len(items), computed, len(items) - computed,
             cache_dir)
    return result
