"""The camera registry function's settings (cameras API, deploy-time seed, fleet health check), built once per cold
start from the environment the stack sets."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from videoalert.config.env import environment, integer, optional, required
from videoalert_contract.names import (
    ENV_CAMERAS_TABLE,
    ENV_STAGE,
    ENV_STREAM_KEY_ARN,
    ENV_STREAM_RETENTION_HOURS,
    ENV_VIDEOS_TABLE,
    MAX_STREAM_RETENTION_HOURS,
    MIN_STREAM_RETENTION_HOURS,
)


@dataclass(frozen=True)
class RegistrySettings:
    cameras_table: str
    videos_table: str  # the health of a camera is read from its records (newest clip, last alert, failures)
    stream_key_arn: str | None = None  # KMS key of new streams; None: the stream's default (the local stand-in)
    stage: str = "dev"  # tagged on every stream the registry creates
    # A new camera's stream keeps this many hours unless the request says otherwise. 24..87600
    retention_hours: int = MIN_STREAM_RETENTION_HOURS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RegistrySettings:
        env = environment(env)
        return cls(cameras_table=required(env, ENV_CAMERAS_TABLE), videos_table=required(env, ENV_VIDEOS_TABLE),
                   stream_key_arn=optional(env, ENV_STREAM_KEY_ARN), stage=optional(env, ENV_STAGE) or "dev",
                   retention_hours=integer(env, ENV_STREAM_RETENTION_HOURS, MIN_STREAM_RETENTION_HOURS,
                                           low=MIN_STREAM_RETENTION_HOURS, high=MAX_STREAM_RETENTION_HOURS))
