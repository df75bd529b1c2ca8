"""Detect mode's work on a few sampled frames: the person detector proposes boxes, the classifier scores their crops.

The detector sees each frame squashed to 300x300 (the sampler's image) and, on some frames, four overlapping tiles
of it too (a far person is a few pixels tall in the squash, and the detector never proposes what it cannot see);
proposals from all views are merged by one NMS. Each proposal is cut from the full-resolution frame as training
framed its crops (regions.crop_for_model) and the ResNet decides. This runs on the scoring workers, not on the
decoding thread, so decoding and two workers share the two vCPUs.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .detector import INPUT_SIZE as DETECTOR_INPUT_SIZE
from .detector import Detection, PersonDetector, non_max_suppression
from .frames import SampledFrame
from .model import PersonClassifier
from .preprocess import resize_rgb, to_model_input
from .regions import crop_for_model

# Detection tiles: 2x2, each this fraction of the frame's width and height (neighbours share a fifth of the frame).
# A person is 1.7 times taller in a tile's squash than in the whole frame's.
DETECT_TILE_SIDE = 0.6
DETECT_TILE_GRID = 2

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FrameWork:
    """One sampled frame (blanked already) for the detector, and whether its tiles are searched too."""

    frame: SampledFrame
    with_tiles: bool


@dataclass(frozen=True)
class ScoredProposals:
    """What a few frames gave: one entry per proposal (a frame without one: a single entry, score 0, no box)."""

    t: list[float]
    boxes: list[list[float] | None]
    scores: np.ndarray  # per entry
    embeddings: np.ndarray  # per entry; zeros for an entry without a crop
    embedded: np.ndarray  # per entry: True when it has a crop, hence an embedding
    detect_s: float
    crop_s: float
    preprocess_s: float
    inference_s: float


def detect_tiles(side: float = DETECT_TILE_SIDE, grid: int = DETECT_TILE_GRID) -> list[Box]:
    """The detection tiles as fractions of the frame ([x0, y0, x1, y1]), row by row, evenly spread to its edges."""
    starts = [0.0] if grid == 1 else [i * (1.0 - side) / (grid - 1) for i in range(grid)]
    return [(x, y, x + side, y + side) for y in starts for x in starts]


def to_frame(box: Sequence[float], tile: Box) -> Box:
    """A box found in a tile's squash (fractions of the tile) as fractions of the whole frame."""
    tx0, ty0, tx1, ty1 = tile
    tw, th = tx1 - tx0, ty1 - ty0
    return tx0 + box[0] * tw, ty0 + box[1] * th, tx0 + box[2] * tw, ty0 + box[3] * th


def cut_detect_tile(full_rgb: np.ndarray, tile: Box) -> np.ndarray:
    """One detection tile of the full frame, squashed to the detector's input by the one filter."""
    height, width = full_rgb.shape[:2]
    x0, x1 = round(tile[0] * width), max(round(tile[0] * width) + 1, round(tile[2] * width))
    y0, y1 = round(tile[1] * height), max(round(tile[1] * height) + 1, round(tile[3] * height))
    return resize_rgb(np.ascontiguousarray(full_rgb[y0:y1, x0:x1]), DETECTOR_INPUT_SIZE)


def propose(detector: PersonDetector, work: Sequence[FrameWork]) -> list[list[Detection]]:
    """Each frame's proposals (fractions of the frame, best first, at most the detector's max_detections), the
    detector run once on every view of the frames together."""
    views: list[np.ndarray] = []
    owners: list[tuple[int, Box | None]] = []  # per view: its frame, and its tile (None: the whole frame)
    for i, item in enumerate(work):
        views.append(item.frame.image)
        owners.append((i, None))
        if item.with_tiles:
            full = item.frame.full
            assert full is not None  # detect mode keeps the full frame
            for tile in detect_tiles():
                views.append(cut_detect_tile(full, tile))
                owners.append((i, tile))
    found = detector.detect(np.stack(views)) if views else []
    per_frame: list[list[Detection]] = [[] for _ in work]
    for (i, view_tile), detections in zip(owners, found, strict=True):
        per_frame[i].extend(d if view_tile is None else Detection(to_frame(d.box, view_tile), d.score)
                            for d in detections)
    return [_merge(detections, detector) for detections in per_frame]


def _merge(detections: list[Detection], detector: PersonDetector) -> list[Detection]:
    """One frame's proposals from all its views, overlaps suppressed, best first, capped."""
    if len(detections) <= 1:
        return detections
    boxes = np.asarray([d.box for d in detections], np.float64)
    scores = np.asarray([d.score for d in detections], np.float64)
    keep = non_max_suppression(boxes, scores, detector.settings.nms_iou, detector.settings.max_detections)
    return [detections[i] for i in keep]


def score_proposals(work: Sequence[FrameWork], detector: PersonDetector,
                    classifier: PersonClassifier) -> ScoredProposals:
    """Propose, crop and classify: the entries of a few frames, in their order."""
    t0 = time.perf_counter()
    proposals = propose(detector, work)
    t1 = time.perf_counter()
    times: list[float] = []
    boxes: list[list[float] | None] = []
    crops: list[np.ndarray] = []
    sure: list[float] = []  # per crop: the detector's score where it is sure of a person, else 0
    for item, detections in zip(work, proposals, strict=True):
        full = item.frame.full
        assert full is not None  # detect mode keeps the full frame
        if not detections:
            times.append(item.frame.t)
            boxes.append(None)
        for d in detections:
            times.append(item.frame.t)
            boxes.append([round(v, 3) for v in d.box])
            crops.append(crop_for_model(full, d.box, classifier.spec.input_size))
            sure.append(d.score if d.score >= detector.settings.sure_score else 0.0)
    t2 = time.perf_counter()
    embedded = np.asarray([box is not None for box in boxes], bool)
    scores = np.zeros(len(boxes), np.float64)
    embeddings = np.zeros((len(boxes), 0), np.float32)
    t3 = t4 = t2
    if crops:
        model_input = to_model_input(crops, classifier.spec)
        t3 = time.perf_counter()
        prediction = classifier.predict_batch(model_input)
        t4 = time.perf_counter()
        # The ResNet decides, except where the detector is sure: a close, cut-off or seated person the ResNet
        # undersells (COCO close-ups) keeps the detector's score (detector.DetectorSettings.sure_score).
        scores[embedded] = np.maximum(prediction.scores, np.asarray(sure))
        embeddings = np.zeros((len(boxes), prediction.embeddings.shape[1]), np.float32)
        embeddings[embedded] = prediction.embeddings
    return ScoredProposals(times, boxes, scores, embeddings, embedded, detect_s=t1 - t0, crop_s=t2 - t1,
                           preprocess_s=t3 - t2, inference_s=t4 - t3)

