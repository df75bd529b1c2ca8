"""Resource names, keys, prefixes, environment variable names and the camera-id rule shared by the stack, the
functions and the local run: each defined here once."""
from __future__ import annotations

import re

APP_NAME = "videoalert"
METRICS_NAMESPACE = "videoalert"

# Camera ids end up in stream names (KVS allows [a-zA-Z0-9_.-], 256 chars, "videoalert-" takes 11), S3 keys and
# video ids: one letter or digit, then up to 62 of [A-Za-z0-9_.-]. The stack refuses others at synth, the
# dispatcher rejects uploads for them.
CAMERA_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
CAMERA_ID_RULE = "1-63 of [A-Za-z0-9_.-], starting with a letter or digit"


def is_valid_camera_id(camera_id: str) -> bool:
    return bool(CAMERA_ID_PATTERN.match(camera_id or ""))


# S3 layout inside the video bucket.
VIDEOS_PREFIX = "videos/"
UPLOADS_PREFIX = "uploads/"

# DynamoDB: videos table (one item per clip).
VIDEOS_PARTITION_KEY = "video_id"
VIDEOS_BY_CAMERA_INDEX = "by_camera"
VIDEOS_BY_CAMERA_PARTITION_KEY = "camera_id"
VIDEOS_BY_CAMERA_SORT_KEY = "window_start"
VIDEOS_TTL_ATTRIBUTE = "expires_at"
# Sparse index of the records still open (RECEIVED, PROCESSING, or an alert not yet sent), by the time recovery
# should look at them: an item is in it only while it has a due_at.
VIDEOS_DUE_INDEX = "due_by_camera"
VIDEOS_DUE_PARTITION_KEY = "camera_id"
VIDEOS_DUE_SORT_KEY = "due_at"

# DynamoDB: cameras table = the camera registry (one item per registered camera: its stream, rule, cursor, lease).
# A camera exists for the pipeline when, and only when, it has an item here: the tick lists them with a paged
# keys-only scan, `videoalert camera add` (or the cameras API, or the deploy-time seed) writes them.
CAMERAS_PARTITION_KEY = "camera_id"

# Kinesis Video Streams: every camera's stream is named STREAM_PREFIX + camera id, created at run time when the
# camera is registered. IAM, alarms and the stack are scoped by this prefix, so they do not grow with cameras.
STREAM_PREFIX = f"{APP_NAME}-"
# A camera's stream keeps at least a day (a paused pipeline catches up), at most 10 years as KVS allows.
MIN_STREAM_RETENTION_HOURS = 24
MAX_STREAM_RETENTION_HOURS = 87600
# What a camera (or `videoalert push`) needs on its stream to send video: the PUT_MEDIA endpoint, PutMedia, and
# DescribeStream; plus kms:GenerateDataKey on the streams' key.
PRODUCER_ACTIONS = ("kinesisvideo:GetDataEndpoint", "kinesisvideo:PutMedia", "kinesisvideo:DescribeStream")

# DynamoDB: false-positive memory (one item per remembered frame embedding; bounded per camera).
FP_MEMORY_PARTITION_KEY = "camera_id"
FP_MEMORY_SORT_KEY = "entry_id"  # "<added_at ISO>#<video_id>#<kind>#<nn>": a query returns the oldest first

# DynamoDB: spent link tokens (one item per one-tap feedback token used; expires with the token).
SPENT_TOKENS_PARTITION_KEY = "token_id"
SPENT_TOKENS_TTL_ATTRIBUTE = "expires_at"

# DynamoDB: Web Push subscriptions (one item per browser and scope: a camera id, or "*" for every camera).
PUSH_PARTITION_KEY = "scope"
PUSH_SORT_KEY = "subscription_id"

# S3 layout inside the review bucket: review/<yyyy>/<mm>/<dd>/ holds the day's sample and its manifests.
REVIEW_PREFIX = "review/"

# SNS message attributes subscribers filter on.
ALERT_ATTRIBUTE_CAMERA = "camera_id"
ALERT_ATTRIBUTE_DECISION = "decision"
# Alerts are delivered at least once: a repeat (a run died after SNS accepted the alert, before marking it sent)
# carries the same dedup key, the video id, so a subscriber can drop it.
ALERT_ATTRIBUTE_DEDUP = "dedup_key"

# Environment variables of the zip functions: the stack (infra/) sets exactly these, videoalert.config reads them.
ENV_VIDEO_BUCKET = "VIDEO_BUCKET"
ENV_VIDEOS_TABLE = "VIDEOS_TABLE"
ENV_CAMERAS_TABLE = "CAMERAS_TABLE"
ENV_FP_MEMORY_TABLE = "FP_MEMORY_TABLE"  # optional for the dispatcher: without it suppression is off
ENV_REVIEW_BUCKET = "REVIEW_BUCKET"
ENV_ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
ENV_INFERENCE_FUNCTION = "INFERENCE_FUNCTION_NAME"
ENV_RETENTION_DAYS = "VIDEO_RETENTION_DAYS"
ENV_SETTLE_SECONDS = "SETTLE_SECONDS"
ENV_SEGMENT_SECONDS = "SEGMENT_SECONDS"
ENV_SEGMENT_QUEUE_URL = "SEGMENT_QUEUE_URL"
ENV_MAX_WINDOWS_PER_RUN = "MAX_WINDOWS_PER_RUN"
ENV_MAX_VIDEO_BYTES = "MAX_VIDEO_BYTES"
ENV_SAMPLE_FPS = "SAMPLE_FPS"
ENV_LEASE_SECONDS = "LEASE_SECONDS"  # how long a claim holds a clip; the stack sets the dispatcher's timeout + 60
ENV_MAX_ATTEMPTS = "MAX_ATTEMPTS"  # claims of one clip before an expired lease ends it FAILED
ENV_MAX_UPLOAD_MINUTES = "MAX_UPLOAD_MINUTES"  # longer uploads are REJECTED TOO_LONG
ENV_RECOVER_PER_RUN = "RECOVER_PER_RUN"  # open records one camera's scheduled run recovers at most
ENV_INFERENCE_URLS = "INFERENCE_CLIP_URLS"  # "0": send bucket/keys only (the inference function then needs boto3)
# The per-camera FIFO job queue the dispatcher (the tick and upload router) sends to; unset: the dispatcher walks
# the cameras itself (in line), as the local tests of the per-camera logic do.
ENV_CAMERA_JOBS_QUEUE_URL = "CAMERA_JOBS_QUEUE_URL"
ENV_FP_MEMORY_CAPACITY = "FP_MEMORY_CAPACITY"
ENV_REVIEW_BAND = "REVIEW_BAND"
ENV_SPENT_TOKENS_TABLE = "SPENT_TOKENS_TABLE"
ENV_SIGNING_SECRET = "LINK_SIGNING_SECRET_ARN"  # Secrets Manager secret holding the link-signing key
ENV_ALERT_EMAIL_FROM = "ALERT_EMAIL_FROM"  # a SES-verified identity: the HTML alert e-mail's sender
ENV_ALERT_EMAIL_TO = "ALERT_EMAIL_TO"  # comma-separated recipients of the HTML alert e-mail
ENV_WEBHOOK_URL = "ALERT_WEBHOOK_URL"  # where the signed alert webhook is POSTed
ENV_WEBHOOK_SECRET = "ALERT_WEBHOOK_SECRET_ARN"  # Secrets Manager secret holding the webhook's whsec_ secret
ENV_PUSH_TABLE = "PUSH_SUBSCRIPTIONS_TABLE"  # Web Push: the browsers' subscriptions (links: write; deliveries: read)
ENV_VAPID_SECRET = "VAPID_SECRET_ARN"  # Web Push: the VAPID key pair (JSON) in Secrets Manager
ENV_LINKS_BASE_URL = "LINKS_BASE_URL"  # the public feedback-links function URL (dispatcher: to sign links for it)
# The camera registry function (cameras API, seed, health check): the key new streams are encrypted with, the
# stage they are tagged with, and the retention a camera gets when none is asked for.
ENV_STREAM_KEY_ARN = "STREAM_KEY_ARN"
ENV_STAGE = "STAGE"
ENV_STREAM_RETENTION_HOURS = "STREAM_RETENTION_HOURS"


def stream_name(camera_id: str) -> str:
    """Kinesis Video Stream name of a camera."""
    return f"{STREAM_PREFIX}{camera_id}"


# A camera's optional scoring stream (issue 34): a small copy of the same view (an IP camera's sub-stream) that the
# worker scores, while the main stream is kept for the record and the alert picture. Under the same prefix, so the
# stack's prefix grants cover it, and named so no camera's own stream can have its name (a camera id starts with a
# letter or digit, this part with "_").
SUB_STREAM_MARK = "_sub-"


def sub_stream_name(camera_id: str) -> str:
    """Kinesis Video Stream name of a camera's sub-stream (its scoring stream)."""
    return f"{STREAM_PREFIX}{SUB_STREAM_MARK}{camera_id}"


def local_names() -> dict[str, str]:
    """Physical names used by the local run on the embedded emulator (CloudFormation names them in AWS)."""
    return {
        "video_bucket": f"{APP_NAME}-videos-local",
        "review_bucket": f"{APP_NAME}-review-local",
        "videos_table": f"{APP_NAME}-videos",
        "cameras_table": f"{APP_NAME}-cameras",
        "fp_memory_table": f"{APP_NAME}-fp-memory",
        "alert_topic": f"{APP_NAME}-alerts",
        "inference_function": f"{APP_NAME}-inference",
        "camera_jobs_queue": f"{APP_NAME}-camera-jobs.fifo",
        "spent_tokens_table": f"{APP_NAME}-spent-tokens",
        "signing_secret": f"{APP_NAME}-link-signing-key",
        "push_table": f"{APP_NAME}-push-subscriptions",
        "vapid_secret": f"{APP_NAME}-vapid-key",
    }
