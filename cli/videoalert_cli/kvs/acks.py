"""PutMedia acknowledgements: incremental parsing of the JSON event stream and the documented error codes."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# ErrorId -> (name, meaning), from the PutMedia API reference and the KVS producer SDKs.
ERROR_CODES: dict[int, tuple[str, str]] = {
    4000: ("STREAM_READ_ERROR", "error reading the data stream"),
    4001: ("MAX_FRAGMENT_SIZE_REACHED", "fragment larger than the 50 MB limit"),
    4002: ("MAX_FRAGMENT_DURATION_REACHED", "fragment longer than the 10 s limit"),
    4003: ("MAX_CONNECTION_DURATION_REACHED", "connection open longer than allowed"),
    4004: ("FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS", "fragment timecode lower than the previous one"),
    4005: ("MORE_THAN_ALLOWED_TRACKS_FOUND", "more than one track found in the MKV (deprecated)"),
    4006: ("INVALID_MKV_DATA", "the input could not be parsed as valid MKV"),
    4007: ("INVALID_PRODUCER_TIMESTAMP", "invalid producer timestamp"),
    4008: ("STREAM_NOT_ACTIVE", "the stream no longer exists (deleted)"),
    4009: ("FRAGMENT_METADATA_LIMIT_REACHED", "fragment metadata limit reached"),
    4010: ("TRACK_NUMBER_MISMATCH", "a frame's track number is not in the MKV header"),
    4011: ("FRAMES_MISSING_FOR_TRACK", "the fragment has no frame for a track in the MKV header"),
    4012: ("MORE_THAN_ALLOWED_TRACKS_FOUND", "more than the allowed number of tracks in the MKV"),
    4500: ("KMS_KEY_ACCESS_DENIED", "access to the stream's KMS key is denied"),
    4501: ("KMS_KEY_DISABLED", "the stream's KMS key is disabled"),
    4502: ("KMS_KEY_VALIDATION_ERROR", "the stream's KMS key failed validation"),
    4503: ("KMS_KEY_UNAVAILABLE", "the stream's KMS key is unavailable"),
    4504: ("KMS_KEY_INVALID_USAGE", "invalid usage of the stream's KMS key"),
    4505: ("KMS_KEY_INVALID_STATE", "the stream's KMS key is in an invalid state"),
    4506: ("KMS_KEY_NOT_FOUND", "the stream's KMS key is not found"),
    5000: ("INTERNAL_ERROR", "internal service error"),
    5001: ("ARCHIVAL_ERROR", "Kinesis Video Streams failed to persist fragments to the data store"),
}

EVENT_TYPES = ("BUFFERING", "RECEIVED", "PERSISTED", "ERROR", "IDLE")


@dataclass(frozen=True)
class Ack:
    event_type: str
    fragment_timecode: int | None = None
    fragment_number: str | None = None
    error_id: int | None = None
    error_code: str | None = None

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Ack:
        error_id = obj.get("ErrorId")
        return cls(
            event_type=str(obj.get("EventType", "")).upper(),
            fragment_timecode=int(obj["FragmentTimecode"]) if obj.get("FragmentTimecode") is not None else None,
            fragment_number=str(obj["FragmentNumber"]) if obj.get("FragmentNumber") is not None else None,
            error_id=int(error_id) if error_id is not None else None,
            error_code=obj.get("ErrorCode"),
        )

    def describe_error(self) -> str:
        """One line naming the KVS error code and what it means."""
        name, meaning = ERROR_CODES.get(
            self.error_id or -1, (self.error_code or "UNKNOWN_ERROR", "undocumented error id")
        )
        where = f" at fragment timecode {self.fragment_timecode}" if self.fragment_timecode is not None else ""
        return f"Kinesis Video Streams error {self.error_id} {name}: {meaning}{where}"


class AckParser:
    """Feeds bytes in as they arrive and yields complete acknowledgements.

    KVS sends one JSON object per event; whether they are separated by newlines or only by HTTP chunk
    boundaries varies, so objects are cut out of the buffer with a raw JSON decoder, not by lines.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._pending = b""
        self._decoder = json.JSONDecoder()

    def feed(self, data: bytes) -> Iterator[Ack]:
        self._pending += data
        try:
            text = self._pending.decode("utf-8")
            self._pending = b""
        except UnicodeDecodeError:
            return  # a multi-byte character is split across reads; wait for the rest
        self._buffer += text
        while True:
            stripped = self._buffer.lstrip()
            if not stripped:
                self._buffer = ""
                return
            try:
                obj, end = self._decoder.raw_decode(stripped)
            except json.JSONDecodeError:
                self._buffer = stripped
                return  # incomplete object: wait for more bytes
            self._buffer = stripped[end:]
            if isinstance(obj, dict) and "Acknowledgement" in obj and isinstance(obj["Acknowledgement"], dict):
                obj = obj["Acknowledgement"]
            if isinstance(obj, dict):
                yield Ack.from_json(obj)
