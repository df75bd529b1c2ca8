"""A small EBML/Matroska writer for the subset Kinesis Video Streams PutMedia ingests."""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

# Element IDs (Matroska spec); kept as their encoded byte values, the way they appear on the wire.
EBML = 0x1A45DFA3
EBML_VERSION = 0x4286
EBML_READ_VERSION = 0x42F7
EBML_MAX_ID_LENGTH = 0x42F2
EBML_MAX_SIZE_LENGTH = 0x42F3
DOC_TYPE = 0x4282
DOC_TYPE_VERSION = 0x4287
DOC_TYPE_READ_VERSION = 0x4285
SEGMENT = 0x18538067
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
SEGMENT_UID = 0x73A4
MUXING_APP = 0x4D80
WRITING_APP = 0x5741
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_UID = 0x73C5
TRACK_TYPE = 0x83
CODEC_ID = 0x86
CODEC_PRIVATE = 0x63A2
TRACK_NAME = 0x536E
VIDEO = 0xE0
PIXEL_WIDTH = 0xB0
PIXEL_HEIGHT = 0xBA
CLUSTER = 0x1F43B675
TIMECODE = 0xE7
SIMPLE_BLOCK = 0xA3

# A size field of all ones means "unknown": the Segment of a live stream never ends.
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"
TIMECODE_SCALE_NS = 1_000_000  # timecodes in milliseconds, as PutMedia's ABSOLUTE mode expects
H264_CODEC_ID = "V_MPEG4/ISO/AVC"
KEYFRAME_FLAG = 0x80


def encode_id(element_id: int) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")


def encode_size(size: int) -> bytes:
    """EBML variable-length size: the shortest form whose value is not the reserved all-ones."""
    for length in range(1, 9):
        if size < (1 << (7 * length)) - 1:
            return ((1 << (7 * length)) | size).to_bytes(length, "big")
    raise ValueError(f"EBML size too large: {size}")


def element(element_id: int, payload: bytes) -> bytes:
    return encode_id(element_id) + encode_size(len(payload)) + payload


def uint_element(element_id: int, value: int) -> bytes:
    return element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def string_element(element_id: int, value: str) -> bytes:
    return element(element_id, value.encode("utf-8"))


@dataclass(frozen=True)
class VideoTrack:
    codec_private: bytes  # avcC (ISO/IEC 14496-15 AVCDecoderConfigurationRecord)
    width: int
    height: int
    codec_id: str = H264_CODEC_ID
    name: str = "videoalert"


def ebml_header() -> bytes:
    return element(
        EBML,
        uint_element(EBML_VERSION, 1)
        + uint_element(EBML_READ_VERSION, 1)
        + uint_element(EBML_MAX_ID_LENGTH, 4)
        + uint_element(EBML_MAX_SIZE_LENGTH, 8)
        + string_element(DOC_TYPE, "matroska")
        + uint_element(DOC_TYPE_VERSION, 2)
        + uint_element(DOC_TYPE_READ_VERSION, 2),
    )


def stream_header(track: VideoTrack, *, app: str = "videoalert push") -> bytes:
    """EBML header, the opening of an unknown-size Segment, Info and Tracks: what precedes the first cluster."""
    info = element(
        INFO,
        uint_element(TIMECODE_SCALE, TIMECODE_SCALE_NS)
        + element(SEGMENT_UID, os.urandom(16))
        + string_element(MUXING_APP, app)
        + string_element(WRITING_APP, app),
    )
    entry = element(
        TRACK_ENTRY,
        uint_element(TRACK_NUMBER, 1)
        + uint_element(TRACK_UID, 1)
        + uint_element(TRACK_TYPE, 1)  # 1 = video
        + string_element(CODEC_ID, track.codec_id)
        + string_element(TRACK_NAME, track.name)
        + element(CODEC_PRIVATE, track.codec_private)
        + element(VIDEO, uint_element(PIXEL_WIDTH, track.width) + uint_element(PIXEL_HEIGHT, track.height)),
    )
    return ebml_header() + encode_id(SEGMENT) + UNKNOWN_SIZE + info + element(TRACKS, entry)


@dataclass(frozen=True)
class Frame:
    """One encoded video frame: timestamp in ms on the stream's clock, AVCC sample bytes."""

    timestamp_ms: int
    keyframe: bool
    data: bytes


def cluster(frames: list[Frame]) -> bytes:
    """One Matroska cluster (= one KVS fragment): Timecode of its first frame, then SimpleBlocks."""
    if not frames:
        raise ValueError("a cluster needs at least one frame")
    if not frames[0].keyframe:
        raise ValueError("a cluster must start with a keyframe")
    cluster_timecode = frames[0].timestamp_ms
    body = [uint_element(TIMECODE, cluster_timecode)]
    for frame in frames:
        relative = frame.timestamp_ms - cluster_timecode
        if not -32768 <= relative <= 32767:
            raise ValueError(f"frame {relative} ms from its cluster start does not fit a SimpleBlock")
        header = b"\x81" + struct.pack(">hB", relative, KEYFRAME_FLAG if frame.keyframe else 0)
        body.append(element(SIMPLE_BLOCK, header + frame.data))
    return element(CLUSTER, b"".join(body))


def _vint(data: bytes, pos: int) -> tuple[int, int, int]:
    """(raw bytes as an integer, marker bit included; its length; the next position) of the vint at pos.

    Raises IndexError when data ends inside it, so stream readers can wait for more bytes.
    """
    first = data[pos]
    if first == 0:
        raise ValueError(f"invalid EBML variable-length integer at byte {pos}")
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        raise IndexError("incomplete variable-length integer")
    return int.from_bytes(data[pos : pos + length], "big"), length, pos + length


def read_vint(data: bytes, pos: int) -> tuple[int | None, int]:
    """A variable-length integer at pos: (value, next position); value None for an unknown size."""
    raw, length, after = _vint(data, pos)
    value = raw & ((1 << (7 * length)) - 1)
    return (None if value == (1 << (7 * length)) - 1 else value), after


def read_id(data: bytes, pos: int) -> tuple[int, int]:
    """An element id at pos, its marker bit kept as Matroska writes ids: (id, next position)."""
    raw, _, after = _vint(data, pos)
    return raw, after


def element_header(data: bytes, pos: int) -> tuple[int, int | None, int]:
    """(element id, size or None, position of the body) of the element starting at pos."""
    element_id, pos = read_id(data, pos)
    size, pos = read_vint(data, pos)
    return element_id, size, pos
