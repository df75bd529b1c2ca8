"""Typed settings of the Lambda functions, built once per cold start from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

# Environment variable names: the stack (infra/) sets exactly these.
ENV_VIDEO_BUCKET = "VIDEO_BUCKET"
ENV_VIDEOS_TABLE = "VIDEOS_TABLE"
ENV_CAMERAS_TABLE = "CAMERAS_TABLE"
ENV_ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
ENV_INFERENCE_FUNCTION = "INFERENCE_FUNCTION_NAME"
ENV_CAMERA_IDS = "CAMERA_IDS"  # comma-separated cameras known at deploy time
ENV_RETENTION_DAYS = "VIDEO_RETENTION_DAYS"
ENV_SETTLE_SECONDS = "SETTLE_SECONDS"
ENV_MAX_WINDOWS_PER_RUN = "MAX_WINDOWS_PER_RUN"
ENV_MAX_VIDEO_BYTES = "MAX_VIDEO_BYTES"
ENV_SAMPLE_FPS = "SAMPLE_FPS"
ENV_REVIEW_BUCKET = "REVIEW_BUCKET"
ENV_FP_MEMORY_TABLE = "FP_MEMORY_TABLE"  # optional for the dispatcher: without it suppression is off
ENV_INFERENCE_URLS = "INFERENCE_CLIP_URLS"  # "0": send bucket/keys only (the inference function then needs boto3)


@dataclass(frozen=True)
class DispatcherSettings:
    video_bucket: str
    videos_table: str
    cameras_table: str
    alert_topic_arn: str
    inference_function: str
    camera_ids: tuple[str, ...] = ()
    retention_days: int = 30
    settle_seconds: int = 60
    max_windows_per_run: int = 5
    max_video_bytes: int = 200 * 1024 * 1024
    sample_fps: float = 1.0
    fp_memory_table: str | None = None
    inference_urls: bool = True  # presigned GET URLs of the clip in each inference request

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "DispatcherSettings":
        env = os.environ if env is None else env
        return cls(
            video_bucket=env[ENV_VIDEO_BUCKET],
            videos_table=env[ENV_VIDEOS_TABLE],
            cameras_table=env[ENV_CAMERAS_TABLE],
            alert_topic_arn=env[ENV_ALERT_TOPIC_ARN],
            inference_function=env[ENV_INFERENCE_FUNCTION],
            camera_ids=tuple(c.strip() for c in env.get(ENV_CAMERA_IDS, "").split(",") if c.strip()),
            retention_days=int(env.get(ENV_RETENTION_DAYS, "30")),
            settle_seconds=int(env.get(ENV_SETTLE_SECONDS, "60")),
            max_windows_per_run=int(env.get(ENV_MAX_WINDOWS_PER_RUN, "5")),
            max_video_bytes=int(env.get(ENV_MAX_VIDEO_BYTES, str(200 * 1024 * 1024))),
            sample_fps=float(env.get(ENV_SAMPLE_FPS, "1.0")),
            fp_memory_table=env.get(ENV_FP_MEMORY_TABLE) or None,
            inference_urls=env.get(ENV_INFERENCE_URLS, "1").lower() not in ("0", "false", "no", "off"),
        )
