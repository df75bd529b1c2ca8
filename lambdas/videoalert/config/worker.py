"""The camera worker's settings (what recording, scoring, deciding and alerting need), built once per cold start from
the environment the stack sets; each default is its field's, read back by from_env."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from videoalert.config.env import environment, flag, integer, number, optional, required
from videoalert_contract.defaults import LEASE_S, MAX_VIDEO_BYTES, RETENTION_DAYS
from videoalert_contract.inference import DEFAULT_SAMPLE_FPS, MAX_SAMPLE_FPS
from videoalert_contract.names import (
    ENV_ALERT_TOPIC_ARN,
    ENV_CAMERAS_TABLE,
    ENV_FP_MEMORY_TABLE,
    ENV_INFERENCE_FUNCTION,
    ENV_INFERENCE_URLS,
    ENV_LEASE_SECONDS,
    ENV_LINKS_BASE_URL,
    ENV_MAX_ATTEMPTS,
    ENV_MAX_UPLOAD_MINUTES,
    ENV_MAX_VIDEO_BYTES,
    ENV_MAX_WINDOWS_PER_RUN,
    ENV_RECOVER_PER_RUN,
    ENV_RETENTION_DAYS,
    ENV_SAMPLE_FPS,
    ENV_SEGMENT_QUEUE_URL,
    ENV_SEGMENT_SECONDS,
    ENV_SETTLE_SECONDS,
    ENV_SIGNING_SECRET,
    ENV_VIDEO_BUCKET,
    ENV_VIDEOS_TABLE,
)

MAX_FRAGMENT_SECONDS = 10  # the longest fragment PutMedia accepts (error ack 4002 above it)
PERSIST_MARGIN_SECONDS = 2  # our margin for the last fragment's upload and persistence (no documented figure)
DEFAULT_SETTLE_SECONDS = MAX_FRAGMENT_SECONDS + PERSIST_MARGIN_SECONDS


@dataclass(frozen=True)
class WorkerSettings:
    video_bucket: str
    videos_table: str
    cameras_table: str
    alert_topic_arn: str
    inference_function: str
    retention_days: int = RETENTION_DAYS  # records expire (DynamoDB TTL) this long after creation; 1..3650
    # A window is cut this long after it ends, so the fragments holding its last frames are in the stream: PutMedia
    # refuses fragments over 10 s (ack 4002), so the fragment in progress when a minute ends closes at most 10 s
    # later; KVS documents no figure for the PERSISTED ack after that, so 2 s is our margin for upload and
    # persistence (check it against the PERSISTED acks `videoalert push` logs). A producer with 2 s GOPs (kvssink's
    # default) could use 4. 0..3600
    settle_seconds: int = DEFAULT_SETTLE_SECONDS
    max_windows_per_run: int = 5  # catch-up bound per camera and run; 1..60
    max_video_bytes: int = MAX_VIDEO_BYTES  # larger clips are REJECTED TOO_LARGE
    sample_fps: float = DEFAULT_SAMPLE_FPS  # frames scored per second of video; (0, 30] as inference accepts
    fp_memory_table: str | None = None  # None: no false-positive suppression
    inference_urls: bool = True  # presigned GET URLs of the clip in each inference request
    # A claim holds a clip (and a worker's lease its camera) this long: more than one invocation can run (the stack
    # sets its timeout + 60 s), so only a dead run's lease expires; then the next scheduled run (or a redrive) takes
    # the clip over. 60..3600
    lease_seconds: int = LEASE_S
    max_attempts: int = 3  # claims of a clip before an expired lease ends it FAILED (LEASE_EXPIRED); 1..10
    recover_per_run: int = 10  # overdue open records one camera's scheduled run takes over at most; 1..100
    # An upload is analysed in one-minute windows, each its own record; a longer one is REJECTED TOO_LONG. 1..1440
    max_upload_minutes: int = 60
    # Segments (issue 32, docs/latency.md): each camera's stream is scored every segment_seconds as its fragments
    # settle, and alerts as soon as the rule's evidence is met; the minute record is completed when the minute
    # settles. 0: the minute design (a camera's minute is scored once, after it settles). 0..60; the stack sets 5.
    segment_seconds: int = 0
    # The standard SQS queue each camera's next segment job waits in (DelaySeconds); None: no segment chain (only the
    # minute tick scores segments, no sooner than a minute apart).
    segment_queue_url: str | None = None
    # The alert's one-tap links: the key's secret and the public endpoint they point at (both, or no links).
    signing_secret: str | None = None
    links_base_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        """From the environment, bounded; an unset variable takes the field's default."""
        env = environment(env)
        s = WorkerSettings
        return WorkerSettings(
            video_bucket=required(env, ENV_VIDEO_BUCKET),
            videos_table=required(env, ENV_VIDEOS_TABLE),
            cameras_table=required(env, ENV_CAMERAS_TABLE),
            alert_topic_arn=required(env, ENV_ALERT_TOPIC_ARN),
            inference_function=required(env, ENV_INFERENCE_FUNCTION),
            retention_days=integer(env, ENV_RETENTION_DAYS, s.retention_days, low=1, high=3650),
            settle_seconds=integer(env, ENV_SETTLE_SECONDS, s.settle_seconds, low=0, high=3600),
            max_windows_per_run=integer(env, ENV_MAX_WINDOWS_PER_RUN, s.max_windows_per_run, low=1, high=60),
            max_video_bytes=integer(env, ENV_MAX_VIDEO_BYTES, s.max_video_bytes, low=1, high=10 * 1024**3),
            sample_fps=number(env, ENV_SAMPLE_FPS, s.sample_fps, above=0.0, high=MAX_SAMPLE_FPS),
            fp_memory_table=optional(env, ENV_FP_MEMORY_TABLE),
            inference_urls=flag(env, ENV_INFERENCE_URLS, s.inference_urls),
            lease_seconds=integer(env, ENV_LEASE_SECONDS, s.lease_seconds, low=60, high=3600),
            max_attempts=integer(env, ENV_MAX_ATTEMPTS, s.max_attempts, low=1, high=10),
            recover_per_run=integer(env, ENV_RECOVER_PER_RUN, s.recover_per_run, low=1, high=100),
            max_upload_minutes=integer(env, ENV_MAX_UPLOAD_MINUTES, s.max_upload_minutes, low=1, high=1440),
            segment_seconds=integer(env, ENV_SEGMENT_SECONDS, s.segment_seconds, low=0, high=60),
            segment_queue_url=optional(env, ENV_SEGMENT_QUEUE_URL),
            signing_secret=optional(env, ENV_SIGNING_SECRET),
            links_base_url=optional(env, ENV_LINKS_BASE_URL),
        )
