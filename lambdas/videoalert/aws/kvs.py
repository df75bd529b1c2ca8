"""Kinesis Video Streams clips of a time window: GetClip per window, in parts when over GetClip's limits."""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from videoalert.domain.errors import MediaUnreadable, UnknownStream
from videoalert.domain.segments import FragmentInfo

# GetClip returns at most the first 200 fragments or 100 MB of a range, and truncates silently beyond
# that, so a window is measured with ListFragments first. The byte budget keeps a margin because the
# MP4 GetClip builds is not byte-for-byte the size of the stored fragments.
MAX_CLIP_FRAGMENTS = 200
CLIP_BYTES_BUDGET = 90 * 1024 * 1024
PRODUCER_TIMESTAMP = "PRODUCER_TIMESTAMP"
SERVER_TIMESTAMP = "SERVER_TIMESTAMP"
# Timestamps are kept to the millisecond; GetClip and ListFragments treat EndTimestamp as inclusive.
_ONE_MS = timedelta(milliseconds=1)

_THROTTLING_CODES = frozenset(
    {
        "ClientLimitExceededException",
        "ConnectionLimitExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    }
)
# GetClip errors about the media itself: retrying the same window cannot fix them.
_MEDIA_ERROR_CODES = frozenset(
    {
        "UnsupportedStreamMediaTypeException",
        "MissingCodecPrivateDataException",
        "InvalidCodecPrivateDataException",
        "InvalidMediaFrameException",
    }
)


class ClipParts(list[bytes]):
    """A window's MP4 parts in time order, and when the clip's own timeline starts: the first fragment's timestamp
    (t = 0 of the frame times the inference answers with). A stream that starts mid-minute starts after the window."""

    def __init__(self, parts: list[bytes], starts_at: datetime | None = None):
        super().__init__(parts)
        self.starts_at = starts_at


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_retryable(exc: ClientError) -> bool:
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return _error_code(exc) in _THROTTLING_CODES or status >= 500


def _is_no_fragments(exc: ClientError) -> bool:
    # The same exception name means "no such stream" on other calls; the message tells them apart.
    return _error_code(exc) == "ResourceNotFoundException" and "fragment" in str(exc).lower()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def plan_parts(fragments: list[FragmentInfo], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Inclusive (start, end) ranges covering [start, end) in time order, each within GetClip's limits.

    A part ends 1 ms before the next part's first fragment, so every fragment falls in exactly one part
    and no range is empty (GetClip refuses an end that is not after its start).
    """
    ordered = sorted({f.timestamp: f for f in fragments}.values(), key=lambda f: f.timestamp)
    if not ordered:
        return []
    firsts, count, size = [start], 0, 0
    for fragment in ordered:
        if count and (count >= MAX_CLIP_FRAGMENTS or size + fragment.size_bytes > CLIP_BYTES_BUDGET):
            firsts.append(fragment.timestamp)
            count, size = 0, 0
        count += 1
        size += fragment.size_bytes
    parts = [(first, following - _ONE_MS) for first, following in zip(firsts, firsts[1:] + [end], strict=True)]
    # Only a last part whose one fragment starts at end - 1 ms can be empty; starting it 1 ms earlier takes
    # nothing from the part before, since PutMedia spaces fragments at least 200 ms apart (5 per second).
    return [(a - _ONE_MS, b) if a == b else (a, b) for a, b in parts]


class KvsClipSource:
    """MP4 clips of a stream's time window, for the dispatcher. Uses boto3 only; makes no client until asked."""

    def __init__(
        self,
        kvs_client: Any,
        *,
        archived_media_client_factory: Callable[[str], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 6,
        timestamp_origin: str = PRODUCER_TIMESTAMP,
        base_delay_s: float = 0.25,
        max_delay_s: float = 8.0,
        rng: Callable[[], float] = random.random,
    ):
        if timestamp_origin not in (PRODUCER_TIMESTAMP, SERVER_TIMESTAMP):
            raise ValueError(f"timestamp_origin must be {PRODUCER_TIMESTAMP} or {SERVER_TIMESTAMP}")
        self._kvs = kvs_client
        self._factory = archived_media_client_factory or self._default_archived_media_client
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._origin = timestamp_origin
        self._base_delay_s, self._max_delay_s, self._rng = base_delay_s, max_delay_s, rng
        self._endpoints: dict[tuple[str, str], str] = {}
        self._media_clients: dict[str, Any] = {}

    def _default_archived_media_client(self, endpoint_url: str) -> Any:
        return boto3.client(
            "kinesis-video-archived-media", endpoint_url=endpoint_url, region_name=self._kvs.meta.region_name
        )

    def _call(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        """Call with full-jitter exponential backoff on throttling (sleep a random share of base * 2^attempt)."""
        for attempt in range(self._max_attempts):
            try:
                return operation(**kwargs)
            except ClientError as exc:
                if not _is_retryable(exc) or attempt == self._max_attempts - 1:
                    raise
                self._sleep(self._rng() * min(self._max_delay_s, self._base_delay_s * 2**attempt))
        raise AssertionError("unreachable")

    def _media_client(self, stream_name: str, api_name: str) -> Any:
        key = (stream_name, api_name)
        if key not in self._endpoints:
            try:
                response = self._call(self._kvs.get_data_endpoint, StreamName=stream_name, APIName=api_name)
            except ClientError as exc:
                if _error_code(exc) == "ResourceNotFoundException":
                    raise UnknownStream(f"Kinesis video stream {stream_name!r} does not exist") from exc
                raise
            self._endpoints[key] = response["DataEndpoint"]
        endpoint = self._endpoints[key]
        if endpoint not in self._media_clients:
            self._media_clients[endpoint] = self._factory(endpoint)
        return self._media_clients[endpoint]

    def _forget_stream(self, stream_name: str) -> None:
        for key in [k for k in self._endpoints if k[0] == stream_name]:
            del self._endpoints[key]

    def _not_found(self, stream_name: str, exc: ClientError) -> None:
        if not _is_no_fragments(exc):
            self._forget_stream(stream_name)
            raise UnknownStream(f"Kinesis video stream {stream_name!r} does not exist: {exc}") from exc

    def list_fragments(self, stream_name: str, start: datetime, end: datetime) -> list[FragmentInfo]:
        """Fragments whose timestamp lies in [start, end), in time order."""
        client = self._media_client(stream_name, "LIST_FRAGMENTS")
        request: dict[str, Any] = {
            "StreamName": stream_name,
            "FragmentSelector": {
                "FragmentSelectorType": self._origin,
                "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end - _ONE_MS},
            },
        }
        timestamp_key = "ProducerTimestamp" if self._origin == PRODUCER_TIMESTAMP else "ServerTimestamp"
        fragments: list[FragmentInfo] = []
        while True:
            try:
                page = self._call(client.list_fragments, **request)
            except ClientError as exc:
                if _error_code(exc) != "ResourceNotFoundException":
                    raise
                self._not_found(stream_name, exc)
                return []
            fragments += [
                FragmentInfo(_utc(f[timestamp_key]), int(f.get("FragmentSizeInBytes", 0)))
                for f in page.get("Fragments", [])
            ]
            if not page.get("NextToken"):
                break
            # A continued listing takes only the token.
            request = {"StreamName": stream_name, "NextToken": page["NextToken"]}
        return sorted(fragments, key=lambda f: f.timestamp)

    def _get_clip(self, stream_name: str, start: datetime, end_inclusive: datetime) -> bytes | None:
        client = self._media_client(stream_name, "GET_CLIP")
        try:
            response = self._call(
                client.get_clip,
                StreamName=stream_name,
                ClipFragmentSelector={
                    "FragmentSelectorType": self._origin,
                    "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end_inclusive},
                },
            )
        except ClientError as exc:
            code = _error_code(exc)
            if code == "ResourceNotFoundException":
                self._not_found(stream_name, exc)
                return None
            if code in _MEDIA_ERROR_CODES:
                raise MediaUnreadable(f"{stream_name} {start.isoformat()}..{end_inclusive.isoformat()}: {exc}") from exc
            raise
        payload = bytes(response["Payload"].read())
        return payload or None

    def fetch_fragments(self, stream_name: str, fragments: list[FragmentInfo]) -> ClipParts:
        """MP4 bytes of exactly these listed fragments (time order), in parts within GetClip's limits: a segment of a
        stream scored as its fragments settle (app.segments)."""
        ordered = sorted(fragments, key=lambda f: f.timestamp)
        if not ordered:
            return ClipParts([])
        parts = []
        for part_start, part_end in plan_parts(ordered, ordered[0].timestamp, ordered[-1].timestamp + _ONE_MS):
            clip = self._get_clip(stream_name, part_start, part_end)
            if clip:
                parts.append(clip)
        return ClipParts(parts, ordered[0].timestamp if parts else None)

    def fetch_clip(self, stream_name: str, start: datetime, end: datetime) -> ClipParts:
        """MP4 bytes of [start, end) as one or more parts in time order; [] when the stream has no fragments in the
        window (idle minute)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            raise ValueError(f"empty window: {start.isoformat()} .. {end.isoformat()}")
        fragments = self.list_fragments(stream_name, start, end)
        parts = []
        for part_start, part_end in plan_parts(fragments, start, end):
            clip = self._get_clip(stream_name, part_start, part_end)
            if clip:
                parts.append(clip)
        return ClipParts(parts, fragments[0].timestamp if parts and fragments else None)
