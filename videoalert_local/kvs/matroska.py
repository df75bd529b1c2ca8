"""Matroska as PutMedia sends it: the stream header's tracks, clusters as they arrive, a remux to MP4 for GetClip."""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av

from videoalert_cli.kvs import ebml

H264_CODEC_ID = "V_MPEG4/ISO/AVC"
_TRACK_NUMBER, _CODEC_ID, _CODEC_PRIVATE = ebml.TRACK_NUMBER, ebml.CODEC_ID, ebml.CODEC_PRIVATE


class MkvError(ValueError):
    """The PutMedia body is not Matroska the service could take; carries the ack's ErrorId."""

    def __init__(self, error_id: int, message: str):
        super().__init__(message)
        self.error_id = error_id


@dataclass(frozen=True)
class TrackInfo:
    numbers: frozenset[int]
    codec_id: str | None  # of the first track
    codec_private: bytes | None


def read_tracks(header: bytes) -> TrackInfo:
    """Track numbers and the first track's codec from a stream header (EBML header .. Tracks)."""
    numbers: set[int] = set()
    codec_id, codec_private = None, None
    pos = 0
    while pos < len(header):
        element_id, size, body = ebml.element_header(header, pos)
        if element_id == ebml.SEGMENT:
            pos = body
            continue
        end = body + (size or 0)
        if element_id == ebml.TRACKS:
            entry_pos = body
            while entry_pos < end:
                _, entry_size, entry_body = ebml.element_header(header, entry_pos)
                entry_end = entry_body + (entry_size or 0)
                child = entry_body
                first = not numbers
                while child < entry_end:
                    child_id, child_size, child_body = ebml.element_header(header, child)
                    value = header[child_body : child_body + (child_size or 0)]
                    if child_id == _TRACK_NUMBER:
                        numbers.add(int.from_bytes(value, "big"))
                    elif child_id == _CODEC_ID and first:
                        codec_id = value.decode("ascii", "replace").rstrip("\x00")
                    elif child_id == _CODEC_PRIVATE and first:
                        codec_private = value
                    child = child_body + (child_size or 0)
                entry_pos = entry_end
        pos = end
    return TrackInfo(frozenset(numbers), codec_id, codec_private)


def cluster_blocks(cluster: bytes) -> tuple[int, int, set[int]]:
    """(cluster timecode, ms from its first to its last block, track numbers of its blocks)."""
    _, size, pos = ebml.element_header(cluster, 0)
    end, timecode, last, tracks = pos + (size or 0), 0, 0, set()
    while pos < end:
        element_id, child_size, body = ebml.element_header(cluster, pos)
        if element_id == ebml.TIMECODE:
            timecode = int.from_bytes(cluster[body : body + (child_size or 0)], "big")
        elif element_id == ebml.SIMPLE_BLOCK:
            track, after_track = ebml.read_vint(cluster, body)
            tracks.add(track or 0)
            last = max(last, int.from_bytes(cluster[after_track : after_track + 2], "big", signed=True))
        pos = body + (child_size or 0)
    return timecode, last, tracks


def mkv_to_mp4(mkv: bytes) -> bytes:
    """Remux a Matroska H.264 stream to MP4 without re-encoding, timestamps starting at zero.

    Matroska stores presentation times only, and FFmpeg's demuxer leaves the first decode times unset
    when frames are reordered (B-frames), which MP4 needs. Decode times are rebuilt from the sorted
    presentation times, held back by the stream's reordering depth so none comes after its frame's
    presentation time.
    """
    source: Any
    with av.open(io.BytesIO(mkv), format="matroska") as source:
        in_stream = source.streams.video[0]
        packets: list[Any] = [p for p in source.demux(in_stream) if p.pts is not None and p.size]
        presentation: list[int] = sorted(p.pts for p in packets)
        rank = {pts: index for index, pts in enumerate(presentation)}
        delay = max([0] + [i - rank[p.pts] for i, p in enumerate(packets)])
        step = (presentation[-1] - presentation[0]) // max(1, len(presentation) - 1) if packets else 1
        origin = presentation[0] - delay * step if packets else 0
        out_buffer = io.BytesIO()
        with av.open(out_buffer, "w", format="mp4") as target:
            out_stream = target.add_stream_from_template(in_stream)
            for index, packet in enumerate(packets):
                dts = presentation[index - delay] if index >= delay else presentation[0] - (delay - index) * step
                packet.pts, packet.dts = packet.pts - origin, dts - origin
                packet.stream = out_stream
                target.mux(packet)
    return out_buffer.getvalue()


class MkvReader:
    """Cuts a PutMedia body into its stream header and complete clusters as the bytes arrive.

    A producer may start a new Matroska stream (EBML header, Segment) in the same body; each cluster is
    stored with the header it came under.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._pos = 0
        self._header_start: int | None = None  # where the current EBML header begins in the buffer
        self.header = b""  # complete once the first cluster arrives
        self.tracks: TrackInfo | None = None

    def feed(self, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(header, cluster) for each cluster completed by `data`."""
        self._buffer += data
        while True:
            try:
                element_id, size, body = ebml.element_header(self._buffer, self._pos)
            except IndexError:
                return  # wait for more bytes
            except ValueError as exc:
                raise MkvError(4006, f"not Matroska: {exc}") from exc
            if element_id == ebml.EBML:
                self._header_start, self.header, self.tracks = self._pos, b"", None
            elif self._header_start is None:
                raise MkvError(4006, f"the body does not start with an EBML header (element {element_id:#x})")
            if element_id == ebml.SEGMENT:
                self._pos = body  # its children follow (unknown size while streaming)
                continue
            if size is None:
                raise MkvError(4006, f"element {element_id:#x} of unknown size inside the segment")
            if body + size > len(self._buffer):
                return
            if element_id == ebml.CLUSTER:
                if not self.header:
                    self.header = self._buffer[self._header_start : self._pos]
                    self.tracks = read_tracks(self.header)
                yield self.header, self._buffer[self._pos : body + size]
                # Keep nothing but the header: clusters already handed out are dropped.
                self._buffer, self._pos, self._header_start = self.header + self._buffer[body + size :], len(
                    self.header), 0
                continue
            self._pos = body + size
