"""Score a clip: sample frames, classify them (person proposals, whole, moving regions, tiles) in batches, keep the
top embeddings."""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from videoalert_contract.boxes import iou
from videoalert_contract.inference import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_REGIONS,
    DEFAULT_SAMPLE_FPS,
    DEFAULT_TOP_K_EMBEDDINGS,
    Region,
    RegionMode,
)
from videoalert_contract.zones import Polygon

from .budget import WorkBudget, WorkLimits
from .containers import VideoSource
from .detector import INPUT_SIZE as DETECTOR_INPUT_SIZE
from .detector import PersonDetector
from .errors import CORRUPT_VIDEO, NO_FRAMES, OVER_LIMIT, BadInputError
from .frames import DecodeStats, FrameSampler, SampledFrame
from .masking import Blanker
from .model import PersonClassifier
from .motion import MotionDetector, crop
from .parts import VideoInfo
from .pipeline import map_in_order, prefetch
from .preprocess import resize_rgb, to_model_input
from .proposals import DetectPlan, FrameWork, score_proposals
from .scene_change import change, thumbnail
from .tiles import TileGrid, cut_tiles

DEFAULT_BATCH_SIZE = 16
# Model inputs one clip may give at most (whole frames, motion regions, tiles, person proposals together): far above
# what the frame cap allows (1000 frames x (1 + 3 regions), or x 4 proposals), so it only stops a sampler that failed
# to hold its cap.
MAX_ENTRIES = 8000
# Boxes overlapping more than this (IoU) are one region for the clip's top embeddings (top_regions).
TOP_REGION_OVERLAP = 0.5


@dataclass(frozen=True)
class FrameScore:
    t: float
    score: float
    region: str = Region.FULL
    box: list[float] | None = None  # motion regions, tiles, proposals: [x0, y0, x1, y1] as fractions of the frame


@dataclass(frozen=True)
class TopEmbedding:
    t: float
    score: float
    embedding: list[float]
    region: str = Region.FULL
    box: list[float] | None = None
    detector_score: float | None = None  # detect mode: the person detector's own score for the box


@dataclass(frozen=True)
class _Item:
    """One model input: a whole frame or a crop of it, and what to call its score."""

    t: float
    image: np.ndarray | None  # dropped once scored
    region: str
    box: list[float] | None
    detector_score: float | None = None
    same_as: float | None = None  # a whole frame unchanged since the one at this time: it takes that one's score


@dataclass(frozen=True)
class _Scored:
    """What the model made of one unit of work: its entries (pixels dropped), their scores and embeddings."""

    items: list[_Item]
    scores: np.ndarray
    embeddings: np.ndarray
    embedded: np.ndarray  # per entry: whether it has an embedding (a frame without a person proposal has none)
    views: int = 0  # detect mode: the detector's views
    detect_s: float = 0.0
    preprocess_s: float = 0.0
    inference_s: float = 0.0


@dataclass
class ClipScores:
    """Per-frame person scores of one clip, the embeddings of its top frames, and where the time went."""

    frames: list[FrameScore]
    top_embeddings: list[TopEmbedding]
    video: VideoInfo
    timings_ms: dict[str, float]
    stats: DecodeStats = field(default_factory=DecodeStats)
    frames_sampled: int = 0  # decoded frames; `frames` may hold more (motion regions) or fewer (no motion)
    detector_views: int = 0  # detect mode: whole frames and tiles the person detector looked at

    @property
    def max_score(self) -> float:
        """0 when nothing was scored (motion regions only, and nothing moved)."""
        return max((f.score for f in self.frames), default=0.0)


@dataclass(frozen=True)
class ScoringRequest:
    """What of a clip to score and how: the one argument of score_clip besides the clip and the models.

    regions: RegionMode.DETECT has the person detector propose boxes in each sampled frame (and, every
    `detect_tile_every`-th sampled frame, 0 never, in its four overlapping tiles too) and scores each box's crop: one
    "person" entry per proposal, with its box, and one without a box (score 0) for a frame with none, so every
    sampled moment is in the timeline. With `detect_change_level` > 0 (grey levels; 0 looks at every frame) a frame
    whose picture changed no more than that since the last frame the detector looked at takes that frame's proposals
    (proposals.DetectPlan); FULL scores each sampled frame whole; MOTION scores only the boxes that moved (a clip with
    no motion has no scores); BOTH does both; TILES scores each frame whole and, every `tile_every`-th sampled frame,
    its overlapping tiles (`tile_grid`, default tiles.TileGrid()).
    start_s, end_s: only frames in that time range of the clip are sampled (a window of a long upload); the video
    info gives the whole clip's length.
    zones, masks: the camera's (videoalert_contract.zones); each sampled frame has what is outside the zones or inside
    a mask blanked (masking.Blanker) before anything else sees it, so the whole-frame score, the motion search, its
    crops, the tiles and the person detector all ignore it.
    min_samples: a clip in one part whose range is too short for that many frames at sample_fps is sampled that many
    times evenly across it (FrameSampler's min_frames; a clip in several parts is a long one: KVS splits a window
    only past 200 fragments or 100 MB).
    pipeline: decode the next frames on a second thread while the model scores the previous batch (PyAV and ONNX
    Runtime both release the GIL), so two vCPUs both work.
    decoder_workers: independent GOPs decoded on that many threads at once (with full frames kept, only for a part
    whose chosen frames fit in decoding.PARALLEL_FULL_FRAMES_BYTES).
    inference_workers: batches scored on that many threads at once (with the pipeline; ONNX Runtime's run is
    thread-safe), so when decoding ends the batches still waiting take both vCPUs, not one. In detect mode the
    detector, the crops and the classifier all run there, on a few frames per batch.
    limits: what decoding may cost (budget.WorkLimits, checked as it goes).
    frame_window, skip_loop_filter: decoding cost levers (frames.FrameSampler): a sampled frame may be a cheaper one
    up to frame_window periods earlier; FFmpeg's skip_loop_filter ("nokey": deblock keyframes only).
    score_change_level: with regions FULL and > 0 (grey levels, scene_change.change), a whole frame whose picture
    changed by at most that since the last frame the model scored takes that frame's score and embedding.
    """

    sample_fps: float = DEFAULT_SAMPLE_FPS
    max_frames: int = DEFAULT_MAX_FRAMES
    regions: RegionMode = DEFAULT_REGIONS
    top_k_embeddings: int = DEFAULT_TOP_K_EMBEDDINGS
    start_s: float = 0.0
    end_s: float | None = None
    zones: Sequence[Polygon] = ()
    masks: Sequence[Polygon] = ()
    min_samples: int = DEFAULT_MIN_SAMPLES
    detect_tile_every: int = 0
    detect_change_level: float = 0.0
    batch_size: int = DEFAULT_BATCH_SIZE
    decoder_threads: int = 1
    decoder_workers: int = 1
    pipeline: bool = True
    inference_workers: int = 1
    tile_grid: TileGrid | None = None
    tile_every: int = 1
    limits: WorkLimits | None = None
    frame_window: float = 0.0
    skip_loop_filter: str = "default"
    score_change_level: float = 0.0

    def __post_init__(self) -> None:
        if self.regions not in tuple(RegionMode):
            raise ValueError(f"regions must be one of {', '.join(RegionMode)}, got {self.regions!r}")
        object.__setattr__(self, "regions", RegionMode(self.regions))
        if self.tile_every < 1:
            raise ValueError("tile_every must be at least 1")
        if self.detect_tile_every < 0:
            raise ValueError("detect_tile_every must not be negative")


def score_clip(video: VideoSource | Sequence[VideoSource], classifier: PersonClassifier,
               request: ScoringRequest = ScoringRequest(), *, detector: PersonDetector | None = None,
               budget: WorkBudget | None = None) -> ClipScores:
    """Score one clip given as bytes, a path, or a list of consecutive parts (timestamps continue across parts).

    detector: the person detector, needed for RegionMode.DETECT (detector.load_detector). budget: the request's
    budget.WorkBudget when the caller reads the file again (the best frame), so every pass is charged to one budget.
    Raises BadInputError (with the contract's code) for a video that cannot be scored or is over a limit.
    """
    if request.regions == RegionMode.DETECT and detector is None:
        raise ValueError('regions "detect" needs the person detector (detector.load_detector)')
    started = time.perf_counter()
    parts: list[VideoSource] = list(video) if isinstance(video, (list, tuple)) else [video]  # type: ignore[list-item]
    scan = _FrameScan(parts, classifier, request, detector, budget)
    scorer = _Scorer(classifier, detector)
    results: list[_Scored] = []
    entries_scored = 0
    workers = request.inference_workers if request.pipeline else 1
    batches = prefetch(scan.batches()) if request.pipeline else scan.batches()
    for _, scored in map_in_order(scorer.score, batches, workers, thread_name="videoalert-infer"):
        entries_scored += len(scored.items)
        if entries_scored > MAX_ENTRIES:  # detect mode's count is known only once its frames are scored
            raise BadInputError(OVER_LIMIT, f"scoring it needs more than {MAX_ENTRIES} model inputs")
        results.append(scored)
    if not scan.frames_sampled:
        if scan.sampler.stats.decode_errors:
            raise BadInputError(CORRUPT_VIDEO, "no frame of the video could be decoded (damaged, or its frames are "
                                               "over the pixel limit)")
        raise BadInputError(NO_FRAMES, "the video track holds no frames to sample")
    return _clip_scores(scan, results, request, started)


class _FrameScan:
    """The decoding side of score_clip: the clip's sampled frames, blanked, as model inputs (detect mode: frames) in
    batches, in time order."""

    def __init__(self, parts: list[VideoSource], classifier: PersonClassifier, request: ScoringRequest,
                 detector: PersonDetector | None, budget: WorkBudget | None):
        regions = request.regions
        self.parts, self.request, self.size = parts, request, classifier.spec.input_size
        self.use_full, self.use_detect = regions.whole_frames, regions == RegionMode.DETECT
        self.grid = (request.tile_grid or TileGrid()) if regions == RegionMode.TILES else None
        # Whole frames go from YUV straight to the model's size (the detector's, in detect mode); motion crops and
        # person crops need the full-resolution frame too, tiles the frame at the grid's canvas size.
        self.sampler = FrameSampler(
            request.sample_fps, request.max_frames, resize_to=DETECTOR_INPUT_SIZE if self.use_detect else self.size,
            keep_full=regions.moving_regions or self.use_detect, decoder_threads=request.decoder_threads,
            decoder_workers=request.decoder_workers, tile_grid=self.grid, limits=request.limits,
            start_s=request.start_s, end_s=request.end_s, min_frames=request.min_samples, budget=budget,
            lazy_full=self.use_detect, frame_window=request.frame_window,
            skip_loop_filter=request.skip_loop_filter)
        self.motion = MotionDetector() if regions.moving_regions else None
        self.blank = Blanker(request.zones, request.masks, [255.0 * m for m in classifier.spec.mean])
        # Detect mode batches frames, each giving up to max_detections crops: the classifier's batches stay this
        # size (plus the unchanged frames that take a batch's proposals).
        frames_per_batch = max(1, request.batch_size // detector.settings.max_detections) if detector is not None else 1
        self.plan = DetectPlan(request.detect_tile_every, request.detect_change_level, frames_per_batch)
        self.frames_sampled = 0
        self.regions_s = 0.0  # motion search, crops and their resizing
        self.gate = request.score_change_level if regions == RegionMode.FULL else 0.0
        self._last_scored: tuple[float, np.ndarray] | None = None  # whole frames: the last one the model scores

    def batches(self) -> Iterator[list[_Item] | list[FrameWork]]:
        batch: list[_Item] = []
        entries = 0
        for frame in self._frames():
            t0 = time.perf_counter()
            if self.use_detect:
                unit = self.plan.add(frame)
                self.regions_s += time.perf_counter() - t0
                if unit:
                    yield unit
                continue
            tiled = (self.frames_sampled - 1) % self.request.tile_every == 0
            same = self._unchanged(frame) if self.gate else None
            new = [same] if same else _items_of(frame, self.motion, self.use_full, self.size,
                                                self.grid if tiled else None)
            entries += len(new)
            if entries > MAX_ENTRIES:
                raise BadInputError(OVER_LIMIT, f"scoring it needs more than {MAX_ENTRIES} model inputs")
            batch.extend(new)
            self.regions_s += time.perf_counter() - t0
            while len(batch) >= self.request.batch_size:
                yield batch[:self.request.batch_size]
                batch = batch[self.request.batch_size:]
        if batch:
            yield batch
        last = self.plan.flush()
        if last:
            yield last

    def _unchanged(self, frame: SampledFrame) -> _Item | None:
        """A whole frame that changed by at most the gate since the last scored one: an entry taking its score."""
        thumb = thumbnail(frame.image)
        if self._last_scored is not None and change(thumb, self._last_scored[1]) <= self.gate:
            return _Item(frame.t, None, Region.FULL, None, same_as=self._last_scored[0])
        self._last_scored = (frame.t, thumb)
        return None

    def _frames(self) -> Iterator[SampledFrame]:
        """Every sampled frame of every part, what the zones and masks hide blanked (its time counted in regions_s)."""
        for part in self.parts:
            for frame in self.sampler.sample(part, whole_clip=len(self.parts) == 1):
                self.frames_sampled += 1
                if self.blank.active:
                    t0 = time.perf_counter()
                    full = frame.full_rgb()
                    frame = replace(frame, image=self.blank(frame.image),
                                    full=None if full is None else self.blank(full),
                                    canvas=None if frame.canvas is None else self.blank(frame.canvas), decoded=None)
                    self.regions_s += time.perf_counter() - t0
                yield frame
            if self.sampler.done:
                break


class _Scorer:
    """The scoring side of score_clip (on the pipeline's workers); only what names each score is kept, never
    pixels."""

    def __init__(self, classifier: PersonClassifier, detector: PersonDetector | None):
        self.classifier, self.detector = classifier, detector

    def score(self, unit: list[_Item] | list[FrameWork]) -> _Scored:
        if self.detector is not None and unit and isinstance(unit[0], FrameWork):
            found = score_proposals([w for w in unit if isinstance(w, FrameWork)], self.detector, self.classifier)
            return _Scored([_Item(t, None, Region.PERSON, box, d) for t, box, d in
                            zip(found.t, found.boxes, found.detector_scores, strict=True)],
                           found.scores, found.embeddings, found.embedded, views=found.views,
                           detect_s=found.detect_s, preprocess_s=found.crop_s + found.preprocess_s,
                           inference_s=found.inference_s)
        batch = [item for item in unit if isinstance(item, _Item)]
        scored = np.array([item.image is not None for item in batch])
        scores, embeddings = np.zeros(len(batch)), np.zeros((len(batch), 0), np.float32)
        t0 = t1 = time.perf_counter()
        if scored.any():  # entries that take an earlier frame's score (same_as) are filled in by _clip_scores
            model_input = to_model_input([item.image for item in batch if item.image is not None], self.classifier.spec)
            t1 = time.perf_counter()
            prediction = self.classifier.predict_batch(model_input)
            scores[scored] = prediction.scores
            embeddings = np.zeros((len(batch), prediction.embeddings.shape[1]), prediction.embeddings.dtype)
            embeddings[scored] = prediction.embeddings
        return _Scored([replace(item, image=None) for item in batch], scores, embeddings, scored,
                       preprocess_s=t1 - t0, inference_s=time.perf_counter() - t1)


def _clip_scores(scan: _FrameScan, results: list[_Scored], request: ScoringRequest, started: float) -> ClipScores:
    """The clip's answer from its scored batches: every entry's score, the top regions' embeddings, the timings."""
    items = [item for scored in results for item in scored.items]
    all_scores = np.concatenate([r.scores for r in results]) if results else np.zeros(0)
    embedded = np.concatenate([r.embedded for r in results]) if results else np.zeros(0, bool)
    all_embeddings = _stack_embeddings([r.embeddings for r in results])
    scored_at = {item.t: i for i, item in enumerate(items) if item.region == Region.FULL and item.same_as is None}
    for i, item in enumerate(items):  # an unchanged whole frame: the score and embedding of the one it matches
        if item.same_as is not None:
            j = scored_at[item.same_as]
            all_scores[i], all_embeddings[i], embedded[i] = all_scores[j], all_embeddings[j], embedded[j]
    top = top_regions(all_scores, [item.box for item in items], embedded, request.top_k_embeddings)
    stats = scan.sampler.stats
    preprocess_s = sum(r.preprocess_s for r in results)
    detect_s = sum(r.detect_s for r in results)
    total_s = time.perf_counter() - started
    return ClipScores(
        frames=[FrameScore(item.t, float(s), item.region, item.box) for item, s in zip(items, all_scores, strict=True)],
        top_embeddings=[TopEmbedding(items[i].t, float(all_scores[i]), all_embeddings[i].astype(float).tolist(),
                                     items[i].region, items[i].box, items[i].detector_score) for i in top],
        video=scan.sampler.video_info(),
        timings_ms={
            "decode": round(stats.decode_s * 1000, 1),
            "preprocess": round((stats.resize_s + preprocess_s + scan.regions_s) * 1000, 1),
            "inference": round(sum(r.inference_s for r in results) * 1000, 1),
            **({"detect": round(detect_s * 1000, 1)} if scan.use_detect else {}),
            "total": round(total_s * 1000, 1),
        },
        stats=stats,
        frames_sampled=scan.frames_sampled,
        detector_views=sum(r.views for r in results),
    )


def top_regions(scores: np.ndarray, boxes: Sequence[Sequence[float] | None], embedded: np.ndarray, k: int,
                max_overlap: float = TOP_REGION_OVERLAP) -> list[int]:
    """The entries whose embeddings a clip keeps: the best-scoring first, then the next best of another place.

    An entry whose box overlaps a kept one's by more than max_overlap (IoU) is the same region seen at another moment
    (a still object gives one per sampled frame): it is skipped, so a clip with a parked car and a person keeps an
    embedding of each, and the false-positive memory can tell which region a detection was. Entries without a box
    (whole frames) are kept by score alone, as before.
    """
    kept: list[int] = []
    for i in (int(i) for i in np.argsort(-scores, kind="stable")):
        if len(kept) >= max(0, k):
            break
        box = boxes[i]
        if not embedded[i] or (box is not None and any(
                boxes[j] is not None and iou(box, boxes[j]) > max_overlap for j in kept)):  # type: ignore[arg-type]
            continue
        kept.append(i)
    return kept


def _stack_embeddings(parts: list[np.ndarray]) -> np.ndarray:
    """One row per entry; a batch whose frames had no proposal has zero-width rows (no embedding to keep)."""
    width = max((p.shape[1] for p in parts), default=0)
    rows = [p if p.shape[1] == width else np.zeros((len(p), width), np.float32) for p in parts]
    return np.concatenate(rows) if rows else np.zeros((0, 0))


def _items_of(frame: SampledFrame, detector: MotionDetector | None, use_full: bool, size: int,
              grid: TileGrid | None = None) -> list[_Item]:
    """The model inputs of one sampled frame: the whole frame, its moving regions, its tiles.

    Each is shrunk to the model's size at once (the whole frame already is, by the sampler), so a batch never
    holds full-resolution frames: 16 of them from a 4K camera would be 400 MB.
    """
    items = [_Item(frame.t, frame.image, Region.FULL, None)] if use_full else []
    if detector is not None:
        full = frame.full_rgb()
        assert full is not None  # the sampler keeps full frames whenever motion regions are searched
        height, width = full.shape[:2]
        items.extend(_Item(frame.t, resize_rgb(crop(full, box), size), Region.MOTION, box.fractions(width, height))
                     for box in detector.boxes(full))
    if grid is not None and frame.canvas is not None:
        items.extend(_Item(frame.t, tile, Region.TILE, box) for tile, box in cut_tiles(frame.canvas, grid, size))
    return items
