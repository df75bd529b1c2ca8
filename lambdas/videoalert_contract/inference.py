"""The dispatcher -> inference payloads (docs/interfaces.md), typed on both sides.

The dispatcher builds an InferenceRequest and reads the answer with parse_response; the inference function
validates the request with InferenceRequest.from_payload (a malformed request is a BAD_REQUEST answer, not a
crash) and answers with ScoredClip or RejectedClip.to_payload().
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from .errors import BAD_REQUEST, BadInputError
from .zones import BadPolygon, Polygon, polygons, to_lists


class RegionMode(StrEnum):
    """What of each sampled frame the inference function classifies (a request's and a rule's `regions`)."""

    FULL = "full"  # the whole frame
    MOTION = "motion"  # only the regions that moved
    BOTH = "both"  # full and motion
    TILES = "tiles"  # the whole frame and its overlapping tiles (videoalert_inference.tiles)
    DETECT = "detect"  # the person detector proposes boxes, the classifier scores each box's crop

    @property
    def whole_frames(self) -> bool:
        return self in (RegionMode.FULL, RegionMode.BOTH, RegionMode.TILES)

    @property
    def moving_regions(self) -> bool:
        return self in (RegionMode.MOTION, RegionMode.BOTH)


class Region(StrEnum):
    """The region of one scored entry in a response: the whole frame, a moving region (with its box), one tile (with
    its box) or one detector proposal (with its box; a sampled frame with no proposal has one entry without a box)."""

    FULL = "full"
    MOTION = "motion"
    TILE = "tile"
    PERSON = "person"


# A request's choices as plain text, in the order they are listed (what a CLI offers and an error message names).
REGION_MODES = tuple(mode.value for mode in RegionMode)
# What a request or a rule that names no mode gets: the one place the default is chosen.
DEFAULT_REGIONS = RegionMode.DETECT

MAX_SAMPLE_FPS = 30.0
DEFAULT_SAMPLE_FPS = 1.0  # frames scored per second of video
MAX_FRAMES_LIMIT = 1000  # bounds the work (and the response size) one invocation can be asked for
DEFAULT_MAX_FRAMES = 120
# A clip (or time range) too short to give this many frames at sample_fps is sampled this many times, evenly across
# its length: a 2-second clip at 1 fps would otherwise give 2 or 3 frames, too few for a rule that wants two of
# them over the threshold. Measured on 2-5 s windows of the shared real and sample videos (bench/README.md, "Short
# clips"): 12 finds as many person windows as 10 fps does, at a fifth of a minute's frames.
DEFAULT_MIN_SAMPLES = 12
# Top embeddings a clip keeps: whole frames, the best by score; in detect mode distinct regions, 8 so that a false
# alert's label remembers the scene's other likely false persons too (bench/memory_options.py, chosen on the training
# split's scenes; bench/README.md "False-positive memory").
DEFAULT_TOP_K_EMBEDDINGS = 4
DEFAULT_TOP_K_REGIONS = 8
MODE_DEFAULT = -1  # top_k_embeddings: the mode's default (DEFAULT_TOP_K_REGIONS in detect mode, else the other)
_URL_SCHEMES = ("https://", "http://")  # http for the local emulator; never file: or others

_Number = TypeVar("_Number", int, float)


def region_key(region: object) -> str:
    """A region's name: "full" when absent, a mode's name as it is, anything else (a box) as compact JSON."""
    if region in (None, ""):
        return Region.FULL
    return region if isinstance(region, str) else json.dumps(region, sort_keys=True, separators=(",", ":"))


class MalformedResponse(ValueError):
    """The inference answer is not a response of this contract."""


@dataclass(frozen=True)
class PictureSource:
    """Where the alert picture is cut from when the scored clip is a camera's small scoring stream (its sub-stream):
    the main stream's clip of the same window (its parts, and their presigned URLs), offset_s = the scored clip's
    t = 0 on the main clip's time line, and min_score: below it the picture is cut from the scored clip (only an
    alert needs the main stream's picture; a lesser entry's picture is the cheap one). Boxes are fractions of the
    frame, so a box maps to the main stream's frame as it is (both streams show the same view)."""

    keys: tuple[str, ...]
    urls: tuple[str, ...] = ()
    offset_s: float = 0.0
    min_score: float = 0.0

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"keys": list(self.keys), "offset_s": self.offset_s, "min_score": self.min_score}
        return payload | ({"urls": list(self.urls)} if self.urls else {})

    @classmethod
    def from_payload(cls, entry: object) -> PictureSource:
        if not isinstance(entry, dict):
            raise BadInputError(BAD_REQUEST, "picture must be an object with keys, offset_s and min_score")
        keys = entry.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            raise BadInputError(BAD_REQUEST, "picture.keys must be a non-empty list of non-empty strings")
        return cls(tuple(keys), _urls(entry, len(keys)), _number(entry, "offset_s", 0.0, float),
                   _number(entry, "min_score", 0.0, float))


@dataclass(frozen=True)
class InferenceRequest:
    video_id: str
    bucket: str
    keys: tuple[str, ...]  # the clip's parts in time order: key, then more_keys
    sample_fps: float = DEFAULT_SAMPLE_FPS
    max_frames: int = DEFAULT_MAX_FRAMES
    top_k_embeddings: int = MODE_DEFAULT  # resolved to the regions mode's default when not given
    regions: RegionMode = DEFAULT_REGIONS  # what of each sampled frame is classified
    urls: tuple[str, ...] = ()  # presigned GET URLs of the parts, in the same order; () = read bucket/keys
    # Only frames in [start_s, end_s) of the clip are scored (one window of a long upload); end_s None: to the end.
    start_s: float = 0.0
    end_s: float | None = None
    # The camera's zones and masks (videoalert_contract.zones): pixels outside the allowed area are blanked before
    # scoring; best_frame: answer with the best counting entry's frame as a JPEG (its box drawn).
    zones: tuple[Polygon, ...] = ()
    masks: tuple[Polygon, ...] = ()
    best_frame: bool = False
    min_samples: int = DEFAULT_MIN_SAMPLES  # the fewest frames a short clip is sampled (0: sample_fps alone)
    picture: PictureSource | None = None  # the best frame cut from another clip (a camera's main stream)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regions", RegionMode(self.regions))  # a plain string from a caller: ValueError if bad
        if self.top_k_embeddings == MODE_DEFAULT:
            default = DEFAULT_TOP_K_REGIONS if self.regions == RegionMode.DETECT else DEFAULT_TOP_K_EMBEDDINGS
            object.__setattr__(self, "top_k_embeddings", default)

    def to_payload(self) -> dict[str, Any]:
        """The JSON object sent to the function; urls only when there are any (they are credentials), the time range
        only when it is not the whole clip, zones, masks and best_frame only when set."""
        payload: dict[str, Any] = {
            "video_id": self.video_id, "bucket": self.bucket, "key": self.keys[0], "more_keys": list(self.keys[1:]),
            "sample_fps": self.sample_fps, "max_frames": self.max_frames,
            "top_k_embeddings": self.top_k_embeddings, "regions": self.regions,
        }
        if self.urls:
            payload["urls"] = list(self.urls)
        if self.start_s or self.end_s is not None:
            payload |= {"start_s": self.start_s, "end_s": self.end_s}
        if self.zones:
            payload["zones"] = to_lists(self.zones)
        if self.masks:
            payload["masks"] = to_lists(self.masks)
        if self.best_frame:
            payload["best_frame"] = True
        if self.min_samples != DEFAULT_MIN_SAMPLES:
            payload["min_samples"] = self.min_samples
        if self.picture is not None:
            payload["picture"] = self.picture.to_payload()
        return payload

    @classmethod
    def from_payload(cls, event: object) -> InferenceRequest:
        if not isinstance(event, dict):
            raise BadInputError(BAD_REQUEST, f"the request must be a JSON object, got {type(event).__name__}")
        video_id = _text(event, "video_id")
        bucket = _text(event, "bucket")
        key = _text(event, "key")
        more_keys = event.get("more_keys") or []
        if not isinstance(more_keys, list) or not all(isinstance(k, str) and k for k in more_keys):
            raise BadInputError(BAD_REQUEST, "more_keys must be a list of non-empty strings")
        sample_fps = _number(event, "sample_fps", DEFAULT_SAMPLE_FPS, float)
        max_frames = _number(event, "max_frames", DEFAULT_MAX_FRAMES, int)
        top_k = _number(event, "top_k_embeddings", MODE_DEFAULT, int)
        if not 0 < sample_fps <= MAX_SAMPLE_FPS:
            raise BadInputError(BAD_REQUEST, f"sample_fps must be in (0, {MAX_SAMPLE_FPS:g}], got {sample_fps}")
        if not 1 <= max_frames <= MAX_FRAMES_LIMIT:
            raise BadInputError(BAD_REQUEST, f"max_frames must be in [1, {MAX_FRAMES_LIMIT}], got {max_frames}")
        if top_k < 0 and top_k != MODE_DEFAULT:
            raise BadInputError(BAD_REQUEST, f"top_k_embeddings must be >= 0, got {top_k}")
        min_samples = _number(event, "min_samples", DEFAULT_MIN_SAMPLES, int)
        if not 0 <= min_samples <= MAX_FRAMES_LIMIT:
            raise BadInputError(BAD_REQUEST, f"min_samples must be in [0, {MAX_FRAMES_LIMIT}], got {min_samples}")
        regions = event.get("regions")
        regions = DEFAULT_REGIONS if regions is None else regions
        if not isinstance(regions, str) or regions not in REGION_MODES:
            raise BadInputError(BAD_REQUEST, f"regions must be one of {', '.join(REGION_MODES)}, got {regions!r}")
        start_s = _number(event, "start_s", 0.0, float)
        end_s = None if event.get("end_s") is None else _number(event, "end_s", 0.0, float)
        if start_s < 0 or (end_s is not None and end_s <= start_s):
            raise BadInputError(BAD_REQUEST, f"need 0 <= start_s < end_s, got {start_s}, {end_s}")
        keys = (key, *more_keys)
        try:
            zones, masks = polygons(event.get("zones")), polygons(event.get("masks"))
        except (BadPolygon, TypeError) as exc:
            raise BadInputError(BAD_REQUEST, f"zones and masks must be lists of polygons: {exc}") from None
        best_frame = event.get("best_frame", False)
        if not isinstance(best_frame, bool):
            raise BadInputError(BAD_REQUEST, f"best_frame must be true or false, got {best_frame!r}")
        picture = None if event.get("picture") is None else PictureSource.from_payload(event["picture"])
        return cls(video_id, bucket, keys, sample_fps, max_frames, top_k, RegionMode(regions), _urls(event, len(keys)),
                   start_s, end_s, zones, masks, best_frame, min_samples, picture)


@dataclass(frozen=True)
class FrameScore:
    """One scored entry: a whole sampled frame, or one region of it (a motion box, a tile, a person proposal)."""

    t: float  # seconds from the clip's start
    score: float
    region: str = Region.FULL
    box: tuple[float, ...] | None = None  # [x0, y0, x1, y1] in fractions of the frame (regions with a box only)

    def to_payload(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"t": self.t, "score": self.score, "region": self.region}
        return entry if self.box is None else {**entry, "box": list(self.box)}

    @classmethod
    def from_payload(cls, entry: object) -> FrameScore:
        if not isinstance(entry, Mapping):
            raise MalformedResponse(f"a frame entry must be an object, got {type(entry).__name__}")
        try:
            box = entry.get("box")
            return cls(t=float(entry["t"]), score=float(entry["score"]), region=region_key(entry.get("region")),
                       box=None if not box else tuple(float(v) for v in box))
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"bad frame entry {str(entry)[:200]}: {exc}") from exc


@dataclass(frozen=True)
class TopEmbedding:
    """The embedding of one of the clip's top-scoring regions (what the false-positive memory keeps); in detect mode
    also the person detector's own score for its box (the memory's person guard)."""

    frame: FrameScore
    embedding: tuple[float, ...]
    detector_score: float | None = None

    def to_payload(self) -> dict[str, Any]:
        payload = self.frame.to_payload() | {"embedding": list(self.embedding)}
        return payload if self.detector_score is None else payload | {"detector_score": self.detector_score}

    @classmethod
    def from_payload(cls, entry: object) -> TopEmbedding:
        frame = FrameScore.from_payload(entry)
        assert isinstance(entry, Mapping)  # checked by FrameScore.from_payload
        vector = entry.get("embedding")
        if not isinstance(vector, Sequence) or isinstance(vector, str):
            raise MalformedResponse("a top embedding needs an embedding list")
        detector_score = entry.get("detector_score")
        try:
            return cls(frame, tuple(float(v) for v in vector),
                       None if detector_score is None else float(detector_score))
        except (TypeError, ValueError) as exc:
            raise MalformedResponse(f"bad top embedding: {exc}") from exc


@dataclass(frozen=True)
class BestFrame:
    """The frame of the best entry that counts (inside the zones), decoded from the clip, as a JPEG with the scored
    region drawn; base64 in the payload (tens of KB, far below Lambda's 6 MB answer)."""

    frame: FrameScore
    jpeg: bytes

    def to_payload(self) -> dict[str, Any]:
        return self.frame.to_payload() | {"jpeg_base64": base64.b64encode(self.jpeg).decode("ascii")}

    @classmethod
    def from_payload(cls, entry: object) -> BestFrame:
        frame = FrameScore.from_payload(entry)
        assert isinstance(entry, Mapping)  # checked by FrameScore.from_payload
        try:
            jpeg = base64.b64decode(str(entry["jpeg_base64"]), validate=True)
        except (KeyError, binascii.Error, ValueError) as exc:
            raise MalformedResponse(f"best_frame needs jpeg_base64: {exc}") from exc
        return cls(frame, jpeg)


@dataclass(frozen=True)
class ScoredClip:
    """Answer {"ok": true}: per-frame (per-region) person scores of the clip."""

    video_id: str
    model_version: str | None
    threshold: float  # the model card's threshold
    frames: tuple[FrameScore, ...]
    top_embeddings: tuple[TopEmbedding, ...] = ()
    video: Mapping[str, Any] | None = None  # width, height, fps, duration_s, codec
    timings_ms: Mapping[str, Any] | None = None  # download, decode, preprocess, inference, total (ms)
    best_frame: BestFrame | None = None  # when the request asked for it and an entry counts

    def to_payload(self) -> dict[str, Any]:
        payload = {"ok": True, "video_id": self.video_id, "model_version": self.model_version,
                   "threshold": self.threshold, "frames": [f.to_payload() for f in self.frames],
                   "top_embeddings": [e.to_payload() for e in self.top_embeddings],
                   "video": None if self.video is None else dict(self.video),
                   "timings_ms": None if self.timings_ms is None else dict(self.timings_ms)}
        return payload if self.best_frame is None else payload | {"best_frame": self.best_frame.to_payload()}


@dataclass(frozen=True)
class RejectedClip:
    """Answer {"ok": false}: bad input, recorded and never retried. code is one of errors.ERROR_CODES."""

    video_id: str
    code: str
    message: str

    def to_payload(self) -> dict[str, Any]:
        return {"ok": False, "video_id": self.video_id, "error": {"code": self.code, "message": self.message}}


InferenceResponse = ScoredClip | RejectedClip


def parse_response(payload: object) -> InferenceResponse:
    """The typed answer; MalformedResponse when the payload is not one."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("ok"), bool):
        raise MalformedResponse(f"inference answer has no 'ok' field: {str(payload)[:200]}")
    video_id = str(payload.get("video_id") or "")
    if not payload["ok"]:
        error = payload.get("error") or {}
        if not isinstance(error, Mapping):
            raise MalformedResponse(f"inference error is not an object: {str(error)[:200]}")
        return RejectedClip(video_id, str(error.get("code", "BAD_VIDEO")), str(error.get("message", "")))
    frames, tops = payload.get("frames") or [], payload.get("top_embeddings") or []
    if not isinstance(frames, list) or not isinstance(tops, list):
        raise MalformedResponse("frames and top_embeddings must be lists")
    try:
        threshold = float(payload["threshold"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"inference answer without a numeric threshold: {exc}") from exc
    video, timings, best = payload.get("video"), payload.get("timings_ms"), payload.get("best_frame")
    return ScoredClip(
        video_id=video_id,
        model_version=None if payload.get("model_version") is None else str(payload["model_version"]),
        threshold=threshold,
        frames=tuple(FrameScore.from_payload(f) for f in frames),
        top_embeddings=tuple(TopEmbedding.from_payload(e) for e in tops),
        video=dict(video) if isinstance(video, Mapping) else None,
        timings_ms=dict(timings) if isinstance(timings, Mapping) else None,
        best_frame=None if best is None else BestFrame.from_payload(best),
    )


def _urls(event: Mapping[str, Any], parts: int) -> tuple[str, ...]:
    urls = event.get("urls") or []
    if not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(_URL_SCHEMES) for u in urls):
        raise BadInputError(BAD_REQUEST, "urls must be a list of http(s) URLs")
    if urls and len(urls) != parts:
        raise BadInputError(BAD_REQUEST, f"urls must give one URL per part: {len(urls)} for {parts} parts")
    return tuple(urls)


def _text(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise BadInputError(BAD_REQUEST, f"{name} must be a non-empty string")
    return value


def _number(event: Mapping[str, Any], name: str, default: _Number, kind: type[_Number]) -> _Number:
    value = event.get(name, default)
    if value is None:
        return default
    # bool is an int in Python; `true` as a frame count is a caller bug, not a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise BadInputError(BAD_REQUEST, f"{name} must be a {'whole ' if kind is int else ''}number, got {value!r}")
    return kind(value)
