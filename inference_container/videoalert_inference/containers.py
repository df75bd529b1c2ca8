"""Opening a clip's file with PyAV: only a video container with a decodable video track inside the pixel limit; its
packets demuxed and charged to the request's budget, the file's own damage kept apart from the process's trouble."""
from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av

from .budget import DEFAULT_MAX_PIXELS, WorkBudget
from .errors import CORRUPT_VIDEO, EMPTY_VIDEO, NO_VIDEO_TRACK, TOO_LARGE, BadInputError

VideoSource = bytes | bytearray | memoryview | str | os.PathLike[str]

# Containers a camera or a user upload plausibly uses; anything else (an image, a text file that FFmpeg
# happens to probe as "tty") is refused rather than scored.
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mpegts", "avi", "flv"})
# The budget is charged for demuxed packets in batches of this many (one lock per batch, not per packet).
PACKET_BATCH = 256

Packet = Any  # av.Packet: PyAV ships no type information
Frame = Any  # av.VideoFrame
CodecContext = Any
Stream = Any
Container = Any


def raise_if_out_of_memory(exc: Exception) -> None:
    """Python's own MemoryError is the process's trouble, raised on; FFmpeg's ENOMEM (av.error.MemoryError, an
    FFmpegError) is a damaged file asking for an absurd allocation, which FFmpeg refused."""
    if isinstance(exc, MemoryError) and not isinstance(exc, av.error.FFmpegError):
        raise exc


class Demuxed:
    """The stream's packets (empty ones dropped), each charged to the budget. An error of the demuxer ends them and is
    kept in `error`: FFmpeg's on a damaged file, or PyAV's own (an IndexError when a stream appears mid-file, as
    damaged MPEG-TS does); a limit passed raises BadInputError from here, never caught as damage."""

    def __init__(self, container: Container, stream: Stream, budget: WorkBudget):
        self._packets = container.demux(stream)
        self._budget = budget
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[Packet]:
        unpaid = 0
        while True:
            try:
                packet = next(self._packets)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - the file's damage, not the code's: see the class
                raise_if_out_of_memory(exc)
                self.error = exc
                break
            unpaid += 1
            if unpaid >= PACKET_BATCH:
                self._budget.charge_packets(unpaid)
                unpaid = 0
            if packet.size:
                yield packet
        self._budget.charge_packets(unpaid)


def open_container(source: VideoSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> Container:
    file: io.BytesIO | str
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise BadInputError(EMPTY_VIDEO, "the video is 0 bytes")
        file = io.BytesIO(source)
    else:
        path = Path(source)
        if path.stat().st_size == 0:
            raise BadInputError(EMPTY_VIDEO, f"{path.name} is 0 bytes")
        file = str(path)
    try:
        # max_pixels reaches the decoders the opening probe runs too (avformat_find_stream_info decodes a frame of
        # some formats, VP9 in WebM among them): no frame over the limit is allocated, even there. Metadata in a
        # wrong encoding is no reason to refuse a video.
        return av.open(file, mode="r", options={"max_pixels": str(max_pixels)}, metadata_errors="ignore")
    except Exception as exc:  # noqa: BLE001 - FFmpeg's errors and PyAV's own on a damaged file
        raise_if_out_of_memory(exc)
        raise BadInputError(CORRUPT_VIDEO, f"not a readable video container: {exc}") from None


def video_stream(container: Container, max_pixels: int) -> Stream:
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no streams"]
        raise BadInputError(NO_VIDEO_TRACK, f"the file has no video track ({', '.join(kinds)})")
    formats = set(container.format.name.split(","))
    if not formats & VIDEO_CONTAINERS:
        raise BadInputError(CORRUPT_VIDEO, f"{container.format.name!r} is not a video container (an image?)")
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg has no decoder for the codec the file names (damaged, or exotic)
        raise BadInputError(CORRUPT_VIDEO, "no decoder for the video codec the file names")
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > max_pixels:
        raise BadInputError(TOO_LARGE, f"{width}x{height} frames exceed the {max_pixels}-pixel limit")
    return stream
