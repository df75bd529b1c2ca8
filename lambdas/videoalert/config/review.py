"""The review sampler's settings, built once per cold start from the environment the stack sets."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from videoalert.config.env import environment, number, required
from videoalert_contract.names import (
    ENV_CAMERAS_TABLE,
    ENV_REVIEW_BAND,
    ENV_REVIEW_BUCKET,
    ENV_VIDEO_BUCKET,
    ENV_VIDEOS_TABLE,
)

DEFAULT_REVIEW_BAND = 0.15  # deciding scores within +-0.15 of the threshold are "near" it


@dataclass(frozen=True)
class ReviewSettings:
    videos_table: str
    cameras_table: str
    video_bucket: str
    review_bucket: str
    band: float = DEFAULT_REVIEW_BAND  # (0, 1]: how near the threshold a deciding score is sampled

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReviewSettings:
        env = environment(env)
        return cls(videos_table=required(env, ENV_VIDEOS_TABLE), cameras_table=required(env, ENV_CAMERAS_TABLE),
                   video_bucket=required(env, ENV_VIDEO_BUCKET), review_bucket=required(env, ENV_REVIEW_BUCKET),
                   band=number(env, ENV_REVIEW_BAND, DEFAULT_REVIEW_BAND, above=0.0, high=1.0))
