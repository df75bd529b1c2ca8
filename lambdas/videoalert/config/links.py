"""The feedback-links function's settings (public one-tap links and the review page), built once per cold start."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from videoalert.config.env import SettingsError, environment, integer, optional, required
from videoalert.config.feedback import DEFAULT_FP_MEMORY_CAPACITY
from videoalert_contract.names import (
    ENV_CAMERAS_TABLE,
    ENV_FP_MEMORY_CAPACITY,
    ENV_FP_MEMORY_TABLE,
    ENV_PUSH_TABLE,
    ENV_SIGNING_SECRET,
    ENV_SPENT_TOKENS_TABLE,
    ENV_VAPID_SECRET,
    ENV_VIDEO_BUCKET,
    ENV_VIDEOS_TABLE,
)


@dataclass(frozen=True)
class LinksSettings:
    videos_table: str
    cameras_table: str
    fp_memory_table: str
    spent_tokens_table: str
    signing_secret: str  # the secret's ARN (or name locally)
    video_bucket: str  # the review page presigns best frames and clips in it
    fp_memory_capacity: int = DEFAULT_FP_MEMORY_CAPACITY
    push_table: str | None = None  # Web Push subscriptions (None: the page offers no notifications)
    vapid_secret: str | None = None  # the VAPID key's secret (its public half is what the page subscribes with)
    push_loopback: bool = False  # the local run only (never from the environment): push services on 127.0.0.1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LinksSettings:
        env = environment(env)
        settings = cls(videos_table=required(env, ENV_VIDEOS_TABLE), cameras_table=required(env, ENV_CAMERAS_TABLE),
                   fp_memory_table=required(env, ENV_FP_MEMORY_TABLE),
                   spent_tokens_table=required(env, ENV_SPENT_TOKENS_TABLE),
                   signing_secret=required(env, ENV_SIGNING_SECRET), video_bucket=required(env, ENV_VIDEO_BUCKET),
                   fp_memory_capacity=integer(env, ENV_FP_MEMORY_CAPACITY, DEFAULT_FP_MEMORY_CAPACITY,
                                              low=1, high=1000),
                       push_table=optional(env, ENV_PUSH_TABLE), vapid_secret=optional(env, ENV_VAPID_SECRET))
        if bool(settings.push_table) != bool(settings.vapid_secret):
            raise SettingsError(f"{ENV_PUSH_TABLE} and {ENV_VAPID_SECRET} go together (Web Push needs both)")
        return settings
