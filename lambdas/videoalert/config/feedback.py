"""Typed settings of the feedback and review-sampler functions (the dispatcher's are in settings.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from videoalert.config.dispatcher import ENV_CAMERA_IDS, ENV_CAMERAS_TABLE, ENV_REVIEW_BUCKET, ENV_VIDEO_BUCKET, ENV_VIDEOS_TABLE

# New variables the stack must set (see the report to the infra owner).
ENV_FP_MEMORY_TABLE = "FP_MEMORY_TABLE"
ENV_FP_MEMORY_CAPACITY = "FP_MEMORY_CAPACITY"
ENV_REVIEW_BAND = "REVIEW_BAND"

DEFAULT_FP_MEMORY_CAPACITY = 50
DEFAULT_REVIEW_BAND = 0.15  # deciding scores within +-0.15 of the threshold are "near" it


def _cameras(env: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(c.strip() for c in env.get(ENV_CAMERA_IDS, "").split(",") if c.strip())


@dataclass(frozen=True)
class FeedbackSettings:
    videos_table: str
    cameras_table: str
    fp_memory_table: str
    fp_memory_capacity: int = DEFAULT_FP_MEMORY_CAPACITY
    camera_ids: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "FeedbackSettings":
        env = os.environ if env is None else env
        return cls(videos_table=env[ENV_VIDEOS_TABLE], cameras_table=env[ENV_CAMERAS_TABLE],
                   fp_memory_table=env[ENV_FP_MEMORY_TABLE],
                   fp_memory_capacity=int(env.get(ENV_FP_MEMORY_CAPACITY, str(DEFAULT_FP_MEMORY_CAPACITY))),
                   camera_ids=_cameras(env))


@dataclass(frozen=True)
class ReviewSettings:
    videos_table: str
    cameras_table: str
    video_bucket: str
    review_bucket: str
    band: float = DEFAULT_REVIEW_BAND
    camera_ids: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ReviewSettings":
        env = os.environ if env is None else env
        return cls(videos_table=env[ENV_VIDEOS_TABLE], cameras_table=env[ENV_CAMERAS_TABLE],
                   video_bucket=env[ENV_VIDEO_BUCKET], review_bucket=env[ENV_REVIEW_BUCKET],
                   band=float(env.get(ENV_REVIEW_BAND, str(DEFAULT_REVIEW_BAND))), camera_ids=_cameras(env))
