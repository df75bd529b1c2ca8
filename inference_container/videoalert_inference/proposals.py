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
from .region_score import combine
from .regions import crop_for_model
from .scene_change import change, thumbnail

# Detection tiles: 2x2, each this fraction of the frame's width and height (neighbours share a fifth of the frame).
# A person is 1.7 times taller in a tile's squash than in the whole frame's.
DETECT_TILE_SIDE = 0.6
DETECT_TILE_GRID = 2

Box = tuple[float, float, float, float]


# A run of unchanged frames shares its first frame's proposals inside one unit of work of at most this many frames,
# and of at most this many bytes of full frames (the crops are cut from them): a unit of a 640x480 camera holds 16
# frames, of a 720p one 5, of a 1080p or 4K one as many as the detector looks at in a unit anyway (a few units are in
# flight at once, decoded ahead, waiting, scored: at 1080p a peak of 255 MB against 273 MB with every frame looked
# at, where 32 MB units made it 319 MB).
MAX_FRAMES_PER_UNIT = 16
MAX_UNIT_BYTES = 16 * 2**20


@dataclass(frozen=True)
class FrameWork:
    """One sampled frame (blanked already), whether the detector looks at it (else it takes the proposals of the
    unit's last frame the detector looked at) and which of the detection tiles it searches too."""

    frame: SampledFrame
    tiles: tuple[Box, ...] = ()
    detect: bool = True


class DetectPlan:
    """Which sampled frames the detector looks at, in which views, and how frames are grouped into units of work.

    Every `tile_every`-th frame (0: never) is a tile turn: the detection tiles are searched too. With `change_level`
    > 0 the detector looks again only where the picture changed by more than that (scene_change.change, grey
    levels): a frame unchanged since the last frame the detector looked at takes that frame's proposals (the ResNet
    still scores their crops in this frame), and a tile turn searches only the tiles changed since each was last
    searched. On a still scene the detector's answer would be the same. A unit holds at most `frames_per_unit`
    frames the detector looks at, and always starts with one, so the frames that take its proposals are in the same
    unit (which also holds at most MAX_FRAMES_PER_UNIT frames and MAX_UNIT_BYTES of them). change_level 0: every
    frame whole, every tile turn's four tiles.
    """

    def __init__(self, tile_every: int, change_level: float, frames_per_unit: int,
                 max_frames_per_unit: int = MAX_FRAMES_PER_UNIT):
        self.tile_every, self.change_level = tile_every, change_level
        self.frames_per_unit, self.max_frames_per_unit = max(1, frames_per_unit), max(1, max_frames_per_unit)
        self._unit: list[FrameWork] = []
        self._detected = 0
        self._frames = 0
        self._looked_at: np.ndarray | None = None  # thumbnail of the last frame the detector looked at
        self._tiled: dict[Box, np.ndarray] = {}  # per tile: the thumbnail of the last frame it was searched in

    def add(self, frame: SampledFrame) -> list[FrameWork] | None:
        """Plan one frame; returns the previous unit when this frame starts a new one."""
        tile_turn = self.tile_every > 0 and self._frames % self.tile_every == 0
        self._frames += 1
        thumb = thumbnail(frame.image) if self.change_level > 0 else None
        tiles = tuple(tile for tile in detect_tiles() if not self._same(thumb, self._tiled.get(tile), tile)) \
            if tile_turn else ()
        frame_bytes = frame.full_bytes
        room = min(self.max_frames_per_unit, max(self.frames_per_unit, MAX_UNIT_BYTES // max(1, frame_bytes)))
        full = len(self._unit) >= room
        detect = bool(tiles) or not self._unit or full or not self._same(thumb, self._looked_at)
        done = None
        if (detect and self._detected >= self.frames_per_unit) or full:
            done, self._unit, self._detected = self._unit, [], 0
        if detect:
            self._detected += 1
            self._looked_at = thumb
        if thumb is not None:
            self._tiled.update((tile, thumb) for tile in tiles)
        self._unit.append(FrameWork(frame, tiles, detect))
        return done

    def flush(self) -> list[FrameWork] | None:
        """The last unit, if any."""
        done, self._unit, self._detected = self._unit, [], 0
        return done or None

    def _same(self, thumb: np.ndarray | None, reference: np.ndarray | None,
              box: Box = (0.0, 0.0, 1.0, 1.0)) -> bool:
        return thumb is not None and reference is not None and change(thumb, reference, box) <= self.change_level


@dataclass(frozen=True)
class ScoredProposals:
    """What a few frames gave: one entry per proposal (a frame without one: a single entry, score 0, no box)."""

    t: list[float]
    boxes: list[list[float] | None]
    scores: np.ndarray  # per entry
    detector_scores: list[float | None]  # per entry: the detector's own person score for the box (None: no box)
    embeddings: np.ndarray  # per entry; zeros for an entry without a crop
    embedded: np.ndarray  # per entry: True when it has a crop, hence an embedding
    views: int  # whole frames and tiles the detector looked at
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
    """Each frame's proposals (see propose_counted)."""
    return propose_counted(detector, work)[0]


def propose_counted(detector: PersonDetector, work: Sequence[FrameWork]) -> tuple[list[list[Detection]], int]:
    """Each frame's proposals (fractions of the frame, best first, at most the detector's max_detections).

    The detector looks at the frames whole first (one run for the unit), then at the tiles of those frames where it
    found no person it is sure of (DetectorSettings.sure_score: that frame's score is already over any threshold,
    and tiles are for the people too small to see whole). A frame it does not look at takes the previous frame's.
    """
    looked = [i for i, item in enumerate(work) if item.detect]
    if work and not work[0].detect:
        raise ValueError("a unit of detect work starts with a frame the detector looks at")
    per_frame: list[list[Detection]] = [[] for _ in work]
    whole = detector.detect(np.stack([work[i].frame.image for i in looked])) if looked else []
    for i, detections in zip(looked, whole, strict=True):
        per_frame[i].extend(detections)
    views: list[np.ndarray] = []
    owners: list[tuple[int, Box]] = []  # per tile view: its frame and its tile
    for i in looked:
        item = work[i]
        if not item.tiles or any(d.score >= detector.settings.sure_score for d in per_frame[i]):
            continue
        full = item.frame.full_rgb()
        assert full is not None  # detect mode keeps the full frame
        for tile in item.tiles:
            views.append(cut_detect_tile(full, tile))
            owners.append((i, tile))
    found = detector.detect(np.stack(views)) if views else []
    for (i, tile), detections in zip(owners, found, strict=True):
        per_frame[i].extend(Detection(to_frame(d.box, tile), d.score) for d in detections)
    merged: list[list[Detection]] = []
    for item, detections in zip(work, per_frame, strict=True):
        merged.append(_merge(detections, detector) if item.detect else merged[-1])
    return merged, len(looked) + len(views)


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
    proposals, views = propose_counted(detector, work)
    t1 = time.perf_counter()
    times: list[float] = []
    boxes: list[list[float] | None] = []
    detector_scores: list[float | None] = []
    crops: list[np.ndarray] = []
    found: list[tuple[float, float]] = []  # per crop: the detector's score and the box's height
    for item, detections in zip(work, proposals, strict=True):
        full = item.frame.full_rgb() if detections else None  # a frame without a proposal is never converted
        assert full is not None or not detections  # detect mode keeps the full frame
        if not detections:
            times.append(item.frame.t)
            boxes.append(None)
            detector_scores.append(None)
        for d in detections:
            times.append(item.frame.t)
            boxes.append([round(v, 3) for v in d.box])
            detector_scores.append(round(d.score, 4))
            assert full is not None
            crops.append(crop_for_model(full, d.box, classifier.spec.input_size))
            found.append((d.score, d.height))
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
        # The ResNet decides on the crop, weighed with the detector's score and the box's height as the model card
        # says (region_score.py: the ResNet undersells cyclists and cut-off people the detector is sure of).
        detector_found, heights = np.asarray(found, np.float64).T
        scores[embedded] = combine(prediction.scores, detector_found, heights, classifier.threshold,
                                   classifier.region_score, detector.settings.sure_score)
        embeddings = np.zeros((len(boxes), prediction.embeddings.shape[1]), np.float32)
        embeddings[embedded] = prediction.embeddings
    return ScoredProposals(times, boxes, scores, detector_scores, embeddings, embedded, views, detect_s=t1 - t0,
                           crop_s=t2 - t1, preprocess_s=t3 - t2, inference_s=t4 - t3)

