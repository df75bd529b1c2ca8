"""Motion-gated regions: boxes around what moved between sampled frames, cropped at full resolution for the model."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.lib.stride_tricks import sliding_window_view

from .background import BackgroundModel

# The region modes a request may ask for are the contract's (videoalert_contract.inference.RegionMode).


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

    No OpenCV (its wheel was 150 MB of the container's install): the work image comes from libswscale's area
    filter (PyAV), and the rest is numpy on that 160-pixel-wide image. background.py is OpenCV's MOG2 update
    step for step, and the blur, morphology and connected components below follow OpenCV's definitions (kernel
    size, borders, anchors): given the same work image, the boxes were OpenCV's on every shared clip and scene.
    """

    def __init__(self, settings: MotionSettings = MotionSettings()):
        self.settings = settings
        self._model = BackgroundModel(history=settings.history, var_threshold=settings.var_threshold)
        self._reformatter = VideoReformatter()  # keeps libswscale's context (its filters) between frames
        self._frames_seen = 0
        self._last_brightness = 0.0
        self.last_changed_fraction = 0.0

    def boxes(self, frame_rgb: np.ndarray) -> list[Box]:
        """Moving regions of this frame (largest first, at most max_boxes); none for the first frame."""
        height, width = frame_rgb.shape[:2]
        small, brightness = self._normalised(frame_rgb)
        # The first frame only teaches the model: there is nothing yet to have moved against.
        mask = self._model.apply(small, learning_rate=1.0 if self._frames_seen == 0 else -1)
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
        gray = _grey(frame_rgb, s.work_width, work_height, self._reformatter)
        log = np.log1p(gray.astype(np.float32))
        detail = log - _gaussian_blur(log, s.illumination_sigma)
        # log1p(255) is about 5.5, so detail spans about +-1: spread it over the 8-bit range MOG2 expects.
        return np.clip(128.0 + 96.0 * detail, 0, 255).astype(np.uint8), float(gray.mean())

    def _regions(self, mask: np.ndarray, scale: float, width: int, height: int) -> list[Box]:
        s = self.settings
        min_area = s.min_area_fraction * mask.size
        blobs = [Box(int(x * scale), int(y * scale), int((x + w) * scale), int((y + h) * scale))
                 for x, y, w, h, area in _components(mask).tolist() if area >= min_area]
        padded = [_pad(b, s.pad, width, height) for b in blobs]
        merged = sorted(_merge_overlapping(padded), key=lambda b: b.area, reverse=True)[: s.max_boxes]
        min_side = round(s.min_side_fraction * min(width, height))
        return [_square(b, min_side, width, height) for b in merged]


def crop(frame_rgb: np.ndarray, box: Box) -> np.ndarray:
    return frame_rgb[box.y0:box.y1, box.x0:box.x1]


def _grey(frame_rgb: np.ndarray, width: int, height: int, reformatter: VideoReformatter) -> np.ndarray:
    """Area downscale (libswscale through PyAV), then BT.601 luma in OpenCV's fixed point (its RGB2GRAY).

    libswscale's area filter is not quite OpenCV's INTER_AREA: about 2.5 % of the work pixels of the shared
    clips come out one grey level apart, which moves some boxes by a few pixels.
    """
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_rgb, dtype=np.uint8), format="rgb24")
    small = reformatter.reformat(frame, width=width, height=height, format="rgb24",
                                 interpolation="AREA").to_ndarray().astype(np.int32)
    # 0.299, 0.587 and 0.114 in units of 1/16384, rounded
    luma = small[..., 0] * 4899 + small[..., 1] * 9617 + small[..., 2] * 1868 + 8192
    return (luma >> 14).astype(np.uint8)


def _gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of a float32 image, as OpenCV's GaussianBlur(image, (0, 0), sigma): its kernel
    for float images (size 8 sigma + 1, so a radius of 4 sigma) and its default border, reflect-101
    (...c b | a b c...). einsum, not a matrix product: BLAS would spin up threads that cost more than they save.
    """
    kernel = _gaussian_kernel(sigma)
    radius = kernel.size // 2
    for axis in (1, 0):  # rows first, as OpenCV
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        windows = sliding_window_view(np.pad(image, pad, mode="reflect"), kernel.size, axis=axis)
        image = np.einsum("ijk,k->ij", windows, kernel)
    return image


@lru_cache(maxsize=4)
def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = (int(round(sigma * 8 + 1)) | 1) // 2
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel: np.ndarray = (taps / taps.sum()).astype(np.float32)
    return kernel


def _clean(mask: np.ndarray) -> np.ndarray:
    """Drop speckle (compression noise), then join the parts of one subject (legs, arms, head).

    An opening with a 2x2 square (erode, then dilate), then a dilation with a 3x3 square twice (a 5x5 square),
    as OpenCV does them: pixels outside the image never erode or dilate anything, and the 2x2 square's anchor
    is its bottom-right pixel, so the opened mask sits one work pixel down and right of the blobs it keeps.
    """
    fg = mask > 0
    fg = _window(_window(fg, 1, 0, np.logical_and), 1, 0, np.logical_or)
    cleaned: np.ndarray = _window(fg, 2, 2, np.logical_or).view(np.uint8) * np.uint8(255)
    return cleaned


def _window(fg: np.ndarray, before: int, after: int, op: np.ufunc) -> np.ndarray:
    """op over the window [-before, after] around each pixel on both axes; pixels outside the image are left out."""
    for axis in (0, 1):
        out = fg.copy()
        n = fg.shape[axis]
        for shift in range(1, max(before, after) + 1):
            if shift >= n:
                break
            lo, hi = [slice(None)] * 2, [slice(None)] * 2
            if shift <= before:  # the pixel `shift` before: out[i] op= fg[i - shift]
                lo[axis], hi[axis] = slice(shift, None), slice(None, n - shift)
                op(out[tuple(lo)], fg[tuple(hi)], out=out[tuple(lo)])
            if shift <= after:  # the pixel `shift` after: out[i] op= fg[i + shift]
                lo[axis], hi[axis] = slice(None, n - shift), slice(shift, None)
                op(out[tuple(lo)], fg[tuple(hi)], out=out[tuple(lo)])
        fg = out
    return fg


def _components(mask: np.ndarray) -> np.ndarray:
    """8-connected components of the non-zero pixels: one row [x, y, w, h, area] each, as OpenCV's
    connectedComponentsWithStats gives them (without its background row), in its order too: by the first 2x2
    block, in raster order of blocks, that holds a pixel of the component (its labelling scans such blocks).

    Works on runs (horizontal stretches of set pixels): runs in adjacent rows that touch, diagonals included,
    are joined by union-find, vectorised as rounds of hooking each root onto the smallest root it touches.
    """
    height, width = mask.shape
    edges = np.diff(np.pad(mask > 0, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    row, start = np.nonzero(edges == 1)
    end = np.nonzero(edges == -1)[1]  # exclusive
    if row.size == 0:
        return np.zeros((0, 5), np.int64)
    stride = width + 1
    start_key, end_key = row * stride + start, row * stride + end
    # Runs of the next row touching run i: end >= start_i and start <= end_i (exclusive ends touch diagonally).
    lo = np.searchsorted(end_key, (row + 1) * stride + start, side="left")
    hi = np.searchsorted(start_key, (row + 1) * stride + end, side="right")
    count = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(row.size), count)
    b = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(a.size)
    parent = np.arange(row.size)
    while a.size:
        pa, pb = parent[a], parent[b]
        apart = pa != pb
        if not apart.any():
            break
        a, b, pa, pb = a[apart], b[apart], pa[apart], pb[apart]
        np.minimum.at(parent, np.maximum(pa, pb), np.minimum(pa, pb))
        while True:  # point every run straight at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    _, label = np.unique(parent, return_inverse=True)  # roots are each component's first run
    components = label.max() + 1
    x0 = np.full(components, width)
    np.minimum.at(x0, label, start)
    x1 = np.zeros(components, np.int64)
    np.maximum.at(x1, label, end)
    y0 = np.full(components, height)
    np.minimum.at(y0, label, row)
    y1 = np.zeros(components, np.int64)
    np.maximum.at(y1, label, row + 1)
    area = np.bincount(label, weights=end - start, minlength=components).astype(np.int64)
    block = np.full(components, height * width)
    np.minimum.at(block, label, (row // 2) * width + start // 2)
    return np.stack([x0, y0, x1 - x0, y1 - y0, area], axis=1)[np.argsort(block)]


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
