"""Read a clip's parts from S3 into memory, refusing a missing or too large clip before downloading it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from .errors import EMPTY_VIDEO, NOT_FOUND, TOO_LARGE, BadInputError

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


def fetch_clip_parts(s3: Any, bucket: str, keys: Sequence[str], max_bytes: int) -> list[bytes]:
    """The bytes of each part, in order. Raises BadInputError NOT_FOUND / TOO_LARGE / EMPTY_VIDEO."""
    sizes = [_size(s3, bucket, key) for key in keys]
    if sum(sizes) > max_bytes:
        raise BadInputError(TOO_LARGE, f"the clip is {sum(sizes)} bytes, over the {max_bytes}-byte limit")
    if sum(sizes) == 0:
        raise BadInputError(EMPTY_VIDEO, f"s3://{bucket}/{keys[0]} is 0 bytes")
    return [_read(s3, bucket, key, size) if size else b"" for key, size in zip(keys, sizes, strict=True)]


def _read(s3: Any, bucket: str, key: str, size: int) -> bytes:
    try:
        # Range caps the read even if the object was replaced by a bigger one since head_object.
        return bytes(s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")["Body"].read())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            raise BadInputError(NOT_FOUND, f"s3://{bucket}/{key} disappeared while reading it") from None
        raise


def _size(s3: Any, bucket: str, key: str) -> int:
    try:
        return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            raise BadInputError(NOT_FOUND, f"s3://{bucket}/{key} does not exist") from None
        raise  # access denied, throttling: a fault of the deployment, for Lambda to report and redrive
