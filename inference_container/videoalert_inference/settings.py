"""Typed settings of the inference function, built once per cold start from the environment."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from videoalert_contract.defaults import MAX_VIDEO_BYTES
from videoalert_contract.inference import InferenceRequest

from .budget import WorkLimits
from .scoring import ScoringRequest
from .url_source import UrlPolicy

ENV_MODEL_DIR = "MODEL_DIR"
ENV_MODEL_FILE = "MODEL_FILE"  # e.g. person_classifier.onnx (fp32); default: the card's served file (int8 if kept)
ENV_MODEL_ENCODING = "MODEL_ENCODING"  # auto (default: the AMX encoding on CPUs with AMX), plain or amx
ENV_MAX_VIDEO_BYTES = "MAX_VIDEO_BYTES"
ENV_ORT_THREADS = "ORT_THREADS"
ENV_DECODER_THREADS = "DECODER_THREADS"
ENV_DECODER_WORKERS = "DECODER_WORKERS"
ENV_PIPELINE = "PIPELINE"
ENV_INFERENCE_WORKERS = "INFERENCE_WORKERS"
ENV_BATCH_SIZE = "BATCH_SIZE"
ENV_TILE_EVERY = "TILE_EVERY"
ENV_DETECT_TILE_EVERY = "DETECT_TILE_EVERY"
ENV_DETECT_CHANGE_LEVEL = "DETECT_CHANGE_LEVEL"
ENV_FRAME_WINDOW = "FRAME_WINDOW"
ENV_SKIP_LOOP_FILTER = "SKIP_LOOP_FILTER"
ENV_SCORE_CHANGE_LEVEL = "SCORE_CHANGE_LEVEL"
ENV_MAX_PIXELS = "MAX_PIXELS"
ENV_MAX_FRAMES_DECODED = "MAX_FRAMES_DECODED"
ENV_MAX_DECODE_SECONDS = "MAX_DECODE_SECONDS"
ENV_MAX_PACKETS_DEMUXED = "MAX_PACKETS_DEMUXED"
ENV_MAX_PIXELS_DECODED = "MAX_PIXELS_DECODED"
# S3 endpoints besides AWS's whose clip URLs the function fetches (comma-separated scheme://host:port); default: the
# endpoint boto3 would use for S3 itself (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL: the local emulator's), else none.
ENV_CLIP_URL_ENDPOINTS = "CLIP_URL_ENDPOINTS"

CONTAINER_MODEL_DIR = Path("/opt/model")  # where the Dockerfile copies the released model
REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "models"
_T = TypeVar("_T")


def default_model_dir() -> Path:
    """The image's model directory; outside the image, the repository's released model."""
    return CONTAINER_MODEL_DIR if CONTAINER_MODEL_DIR.is_dir() else REPO_MODEL_DIR


@dataclass(frozen=True)
class InferenceSettings:
    model_dir: Path
    model_file: str | None = None
    model_encoding: str = "auto"
    max_video_bytes: int = MAX_VIDEO_BYTES
    # Parallelism across work items, not inside them (bench/README.md): two GOPs decode at once on their own
    # decoders, and the model scores batches of 8 while the next frames decode, up to two batches at once
    # (each run on one ONNX Runtime thread), so the batches left when decoding ends take both vCPUs.
    # ffmpeg's frame threads and a second thread inside one ONNX Runtime run cost more CPU for less gain.
    ort_threads: int = 1
    decoder_threads: int = 1
    decoder_workers: int = 2
    pipeline: bool = True
    inference_workers: int = 2
    batch_size: int = 8
    # With regions "tiles": the tiles of every tile_every-th sampled frame are scored (the whole frame of each
    # one is). 2 keeps a 60 s 640x480 clip inside its time budget (bench/regions_real.py) and still looks at a
    # person in view for 4 s or more twice.
    tile_every: int = 2
    # With regions "detect": every detect_tile_every-th sampled frame (0: none) the detector also searches four
    # overlapping tiles of it, where a far person is 1.7 times taller than in the whole frame's 300x300 squash.
    detect_tile_every: int = 4
    # With regions "detect": a frame whose picture changed by at most this many grey levels (scene_change.change)
    # since the last frame the detector looked at takes that frame's proposals (0: the detector looks at every
    # frame). Still minutes, most of a camera's, cost a third of the detector's time (bench/README.md).
    detect_change_level: float = 8.0
    # Decoding cost (bench/README.md, "CPU per clip"): a sampled frame may be a cheaper one up to half a period
    # earlier (frame_plan.cheaper_choice: a 2 s GOP at 1 fps decodes about half its frames), and FFmpeg deblocks
    # keyframes only ("nokey"; "default" deblocks every frame). Same decisions on every shared video.
    frame_window: float = 0.5
    skip_loop_filter: str = "nokey"
    # With regions "full": a whole frame changed by at most this many grey levels since the last one the model
    # scored takes its score (the detector's detect_change_level, for the classifier of whole frames; 0: off).
    score_change_level: float = 8.0
    # What one clip may cost, checked as it decodes (budget.WorkLimits): over a limit it is answered OVER_LIMIT
    # or TOO_LARGE, which the dispatcher records REJECTED, never to be retried.
    limits: WorkLimits = WorkLimits()
    urls: UrlPolicy = UrlPolicy()  # which clip URLs are fetched (the region's S3, the configured emulator)

    def scoring_request(self, request: InferenceRequest | None = None, **overrides: Any) -> ScoringRequest:
        """score_clip's request: what the inference request asks for (its regions, time range, zones and masks) and how
        these settings decode and score it."""
        what: dict[str, Any] = {} if request is None else {
            "sample_fps": request.sample_fps, "max_frames": request.max_frames, "regions": request.regions,
            "top_k_embeddings": request.top_k_embeddings, "start_s": request.start_s, "end_s": request.end_s,
            "zones": request.zones, "masks": request.masks, "min_samples": request.min_samples}
        return ScoringRequest(**(what | self.scoring_options() | overrides))

    def scoring_options(self) -> dict[str, Any]:
        """score_clip's keyword arguments for how to decode and score (the handler and the benchmarks pass these)."""
        return {"decoder_threads": self.decoder_threads, "decoder_workers": self.decoder_workers,
                "pipeline": self.pipeline, "inference_workers": self.inference_workers, "batch_size": self.batch_size,
                "tile_every": self.tile_every, "detect_tile_every": self.detect_tile_every,
                "detect_change_level": self.detect_change_level, "limits": self.limits,
                "frame_window": self.frame_window, "skip_loop_filter": self.skip_loop_filter,
                "score_change_level": self.score_change_level}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InferenceSettings:
        """From the environment; an unset variable takes the field's default (written once, on the field)."""
        env = os.environ if env is None else env
        s, limits = InferenceSettings, WorkLimits
        return cls(
            model_dir=Path(env.get(ENV_MODEL_DIR) or default_model_dir()),
            model_file=env.get(ENV_MODEL_FILE) or None,
            model_encoding=env.get(ENV_MODEL_ENCODING) or s.model_encoding,
            max_video_bytes=_value(env, ENV_MAX_VIDEO_BYTES, s.max_video_bytes, int),
            ort_threads=_value(env, ENV_ORT_THREADS, s.ort_threads, int),
            decoder_threads=_value(env, ENV_DECODER_THREADS, s.decoder_threads, int),
            decoder_workers=_value(env, ENV_DECODER_WORKERS, s.decoder_workers, int),
            pipeline=_value(env, ENV_PIPELINE, s.pipeline, lambda v: v.lower() not in ("0", "false", "no", "off")),
            inference_workers=_value(env, ENV_INFERENCE_WORKERS, s.inference_workers, int),
            batch_size=_value(env, ENV_BATCH_SIZE, s.batch_size, int),
            tile_every=_value(env, ENV_TILE_EVERY, s.tile_every, int),
            detect_tile_every=_value(env, ENV_DETECT_TILE_EVERY, s.detect_tile_every, int),
            detect_change_level=_value(env, ENV_DETECT_CHANGE_LEVEL, s.detect_change_level, float),
            frame_window=_value(env, ENV_FRAME_WINDOW, s.frame_window, float),
            skip_loop_filter=env.get(ENV_SKIP_LOOP_FILTER) or s.skip_loop_filter,
            score_change_level=_value(env, ENV_SCORE_CHANGE_LEVEL, s.score_change_level, float),
            limits=WorkLimits(max_pixels=_value(env, ENV_MAX_PIXELS, limits.max_pixels, int),
                              max_frames_decoded=_value(env, ENV_MAX_FRAMES_DECODED, limits.max_frames_decoded, int),
                              max_decode_s=_value(env, ENV_MAX_DECODE_SECONDS, limits.max_decode_s, float),
                              max_packets=_value(env, ENV_MAX_PACKETS_DEMUXED, limits.max_packets, int),
                              max_pixels_decoded=_value(env, ENV_MAX_PIXELS_DECODED, limits.max_pixels_decoded, int)),
            urls=UrlPolicy(region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
                           endpoints=_endpoints(env)),
        )


def _value(env: Mapping[str, str], name: str, default: _T, parse: Callable[[str], _T]) -> _T:
    raw = env.get(name)
    return default if raw is None else parse(raw)


def _endpoints(env: Mapping[str, str]) -> tuple[str, ...]:
    named = env.get(ENV_CLIP_URL_ENDPOINTS) or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or ""
    return tuple(e.strip().rstrip("/") for e in named.split(",") if e.strip())
