"""Resource names, keys and prefixes shared by the stack, the handlers and the local run."""
from __future__ import annotations

APP_NAME = "videoalert"

# S3 layout inside the video bucket.
VIDEOS_PREFIX = "videos/"
UPLOADS_PREFIX = "uploads/"

# DynamoDB: videos table (one item per clip).
VIDEOS_PARTITION_KEY = "video_id"
VIDEOS_BY_CAMERA_INDEX = "by_camera"
VIDEOS_BY_CAMERA_PARTITION_KEY = "camera_id"
VIDEOS_BY_CAMERA_SORT_KEY = "window_start"
VIDEOS_TTL_ATTRIBUTE = "expires_at"

# DynamoDB: cameras table (one item per camera: rule, threshold, cursor).
CAMERAS_PARTITION_KEY = "camera_id"

# DynamoDB: false-positive memory (one item per remembered frame embedding; bounded per camera).
FP_MEMORY_PARTITION_KEY = "camera_id"
FP_MEMORY_SORT_KEY = "entry_id"  # "<added_at ISO>#<video_id>#<nn>": a query returns the oldest first

# S3 layout inside the review bucket: review/<yyyy>/<mm>/<dd>/ holds the day's sample and its manifests.
REVIEW_PREFIX = "review/"

# SNS message attributes subscribers filter on.
ALERT_ATTRIBUTE_CAMERA = "camera_id"
ALERT_ATTRIBUTE_DECISION = "decision"


def stream_name(camera_id: str) -> str:
    """Kinesis Video Stream name of a camera."""
    return f"{APP_NAME}-{camera_id}"


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
    }
