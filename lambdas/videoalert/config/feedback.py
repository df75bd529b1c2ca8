"""The feedback function's settings, built once per cold start from the environment the stack sets."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from videoalert.config.env import environment, integer, required
from videoalert_contract.names import (
    ENV_CAMERAS_TABLE,
    ENV_FP_MEMORY_CAPACITY,
    ENV_FP_MEMORY_TABLE,
    ENV_VIDEOS_TABLE,
)

DEFAULT_FP_MEMORY_CAPACITY = 50  # entries per camera and kind: ~1.4 KB items, one or two query pages to read


@dataclass(frozen=True)
class FeedbackSettings:
    videos_table: str
    cameras_table: str
    fp_memory_table: str
    fp_memory_capacity: int = DEFAULT_FP_MEMORY_CAPACITY  # 1..1000 entries per camera and kind, oldest out

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FeedbackSettings:
        env = environment(env)
        return cls(videos_table=required(env, ENV_VIDEOS_TABLE), cameras_table=required(env, ENV_CAMERAS_TABLE),
                   fp_memory_table=required(env, ENV_FP_MEMORY_TABLE),
                   fp_memory_capacity=integer(env, ENV_FP_MEMORY_CAPACITY, DEFAULT_FP_MEMORY_CAPACITY,
                                              low=1, high=1000))
