"""Where the ResNet looks in a frame: a person proposal's box framed as the classifier was trained to see people.

One definition for serving and training (training/videoalert_training/crops.py cuts its crops with it): the box
padded on every side, then widened to at least the INRIA crops' aspect (96x160, the person crops the ResNet learned
first), so a thin standing person is squashed into the model's square input no more than a training crop was.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .motion import Box
from .preprocess import resize_rgb

PAD = 0.15  # of the box's side, on each side
MIN_ASPECT = 0.6  # width / height of the crop, at least
MIN_SIDE_PX = 8  # a crop narrower than this in the full frame is not worth a model input


def crop_box(box: Sequence[float], width: int, height: int, pad: float = PAD,
             min_aspect: float = MIN_ASPECT) -> Box:
    """The pixel box to cut for a proposal ([x0, y0, x1, y1] as fractions of a width x height frame)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    bw, bh = (x1 - x0) * width, (y1 - y0) * height
    cx, cy = (x0 + x1) / 2 * width, (y0 + y1) / 2 * height
    bw, bh = bw * (1 + 2 * pad), bh * (1 + 2 * pad)
    bw = max(bw, bh * min_aspect, MIN_SIDE_PX)
    bh = max(bh, MIN_SIDE_PX)
    left, top = int(round(max(0.0, cx - bw / 2))), int(round(max(0.0, cy - bh / 2)))
    right, bottom = int(round(min(float(width), cx + bw / 2))), int(round(min(float(height), cy + bh / 2)))
    return Box(left, top, max(right, left + 1), max(bottom, top + 1))


def crop_for_model(full_rgb: np.ndarray, box: Sequence[float], input_size: int) -> np.ndarray:
    """The proposal's crop of a full-resolution RGB frame, squashed to the model's input by the one filter."""
    height, width = full_rgb.shape[:2]
    b = crop_box(box, width, height)
    return resize_rgb(np.ascontiguousarray(full_rgb[b.y0:b.y1, b.x0:b.x1]), input_size)
