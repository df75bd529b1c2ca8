"""The inference request of docs/interfaces.md, validated: a malformed request is a BAD_REQUEST answer, not a crash."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import BAD_REQUEST, BadInputError
from .motion import REGION_FULL, REGION_MODES

MAX_SAMPLE_FPS = 30.0
_URL_SCHEMES = ("https://", "http://")  # http for the local emulator; never file: or others
MAX_FRAMES_LIMIT = 1000  # bounds the work (and the response size) one invocation can be asked for


@dataclass(frozen=True)
class InferenceRequest:
    video_id: str
    bucket: str
    keys: tuple[str, ...]  # the clip's parts in time order: key, then more_keys
    sample_fps: float = 1.0
    max_frames: int = 120
    top_k_embeddings: int = 3
    regions: str = REGION_FULL  # "full" | "motion" | "both": what of each sampled frame is classified
    urls: tuple[str, ...] = ()  # presigned GET URLs of the parts, in the same order; () = read bucket/keys

    @classmethod
    def from_event(cls, event: Any) -> "InferenceRequest":
        if not isinstance(event, dict):
            raise BadInputError(BAD_REQUEST, f"the request must be a JSON object, got {type(event).__name__}")
        video_id = _text(event, "video_id")
        bucket = _text(event, "bucket")
        key = _text(event, "key")
        more_keys = event.get("more_keys") or []
        if not isinstance(more_keys, list) or not all(isinstance(k, str) and k for k in more_keys):
            raise BadInputError(BAD_REQUEST, "more_keys must be a list of non-empty strings")
        sample_fps = _number(event, "sample_fps", 1.0, float)
        max_frames = _number(event, "max_frames", 120, int)
        top_k = _number(event, "top_k_embeddings", 3, int)
        if not 0 < sample_fps <= MAX_SAMPLE_FPS:
            raise BadInputError(BAD_REQUEST, f"sample_fps must be in (0, {MAX_SAMPLE_FPS:g}], got {sample_fps}")
        if not 1 <= max_frames <= MAX_FRAMES_LIMIT:
            raise BadInputError(BAD_REQUEST, f"max_frames must be in [1, {MAX_FRAMES_LIMIT}], got {max_frames}")
        if top_k < 0:
            raise BadInputError(BAD_REQUEST, f"top_k_embeddings must be >= 0, got {top_k}")
        regions = event.get("regions")
        regions = REGION_FULL if regions is None else regions
        if regions not in REGION_MODES:
            raise BadInputError(BAD_REQUEST, f"regions must be one of {', '.join(REGION_MODES)}, got {regions!r}")
        keys = (key, *more_keys)
        return cls(video_id, bucket, keys, sample_fps, max_frames, top_k, regions, _urls(event, len(keys)))


def _urls(event: dict, parts: int) -> tuple[str, ...]:
    urls = event.get("urls") or []
    if not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(_URL_SCHEMES) for u in urls):
        raise BadInputError(BAD_REQUEST, "urls must be a list of http(s) URLs")
    if urls and len(urls) != parts:
        raise BadInputError(BAD_REQUEST, f"urls must give one URL per part: {len(urls)} for {parts} parts")
    return tuple(urls)


def _text(event: dict, name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise BadInputError(BAD_REQUEST, f"{name} must be a non-empty string")
    return value


def _number(event: dict, name: str, default, kind):
    value = event.get(name, default)
    if value is None:
        return default
    # bool is an int in Python; `true` as a frame count is a caller bug, not a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise BadInputError(BAD_REQUEST, f"{name} must be a {'whole ' if kind is int else ''}number, got {value!r}")
    return kind(value)
