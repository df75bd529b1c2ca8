"""Video in: a file or camera URL read with PyAV, as H.264 AVCC frames (remuxed when possible, else re-encoded)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any

import av
from av.video.frame import PictureType

from ..errors import UserError
from ..redaction import redact
from .h264 import AvccNormalizer

# PutMedia rejects a fragment longer than 10 s (ack error 4002), so a source whose keyframes are
# further apart than this cannot be remuxed as it is.
MAX_FRAGMENT_MS = 10_000
LIVE_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")


class SourceError(UserError):
    """The video source cannot be opened, has no video, or cannot be packed for Kinesis Video Streams. Its message
    never holds the source's credentials (FFmpeg's own messages repeat the URL)."""

    def __init__(self, message: str):
        super().__init__(redact(message))


@dataclass(frozen=True)
class SourceFrame:
    """An H.264 frame in AVCC form, timed in ms from the source's first keyframe."""

    offset_ms: int
    keyframe: bool
    data: bytes


def is_live(source: str) -> bool:
    return source.lower().startswith(LIVE_SCHEMES)


def _open(source: str, timeout_s: float) -> Any:
    options = {"rtsp_transport": "tcp"} if source.lower().startswith(("rtsp://", "rtsps://")) else {}
    try:
        return av.open(source, options=options, timeout=timeout_s if is_live(source) else None)
    except (av.FFmpegError, OSError) as exc:
        raise SourceError(f"cannot read video source {source!r}: {exc}") from exc


def _video_stream(container: Any, source: str) -> Any:
    if not container.streams.video:
        raise SourceError(f"{source!r} has no video stream")
    return container.streams.video[0]


def _to_ms(pts: int | None, time_base: Fraction | None) -> int | None:
    return None if pts is None or time_base is None else round(pts * time_base * 1000)


def _packets(container: Any, stream: Any) -> Iterator[Any]:
    """The stream's packets (empty ones dropped); a damaged file's demuxer error ends them. FFmpeg's errors and PyAV's
    own (an IndexError when an MPEG-TS stream appears mid-file) alike: what precedes the damage is pushed."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except Exception as exc:  # the file's damage ends it; Python's own MemoryError is raised on
            if isinstance(exc, MemoryError) and not isinstance(exc, av.FFmpegError):
                raise
            return
        if packet.size:
            yield packet


@dataclass(frozen=True)
class Timeline:
    """What a demux-only pass over a file tells about its timing."""

    max_keyframe_gap_ms: float  # the longest distance between keyframes (and to the end); inf without a keyframe
    odd: str | None  # why its timestamps cannot place frames in time (the inference function's rule), None if they can


def probe_timeline(source: str, timeout_s: float = 10.0) -> Timeline:
    """One demux-only pass over a file: its keyframe gaps, and whether its timestamps can be trusted at all."""
    from videoalert_inference.parts import odd_timestamps

    with _open(source, timeout_s) as container:
        stream = _video_stream(container, source)
        keyframes: list[int] = []
        last: int | None = None
        pts: list[int | None] = []
        for packet in _packets(container, stream):
            pts.append(packet.pts)
            ms = _to_ms(packet.pts, stream.time_base)
            if ms is None:
                continue
            last = ms if last is None else max(last, ms)
            if packet.is_keyframe:
                keyframes.append(ms)
        odd = odd_timestamps(pts, Fraction(stream.time_base)) if stream.time_base else "no time base"
    if not keyframes or last is None:
        return Timeline(float("inf"), odd)
    bounds = sorted(keyframes) + [last]
    return Timeline(max(b - a for a, b in pairwise(bounds)) if len(bounds) > 1 else 0, odd)


class VideoSource:
    """Frames of one source, ready to pack. `reencode` is "auto" (only when needed), "always" or "never"."""

    def __init__(self, source: str, *, reencode: str = "auto", fragment_seconds: float = 2.0, timeout_s: float = 10.0,
                 width: int | None = None):
        self.source = source
        self.fragment_seconds = fragment_seconds
        self._timeout_s = timeout_s
        self._container = _open(source, timeout_s)
        self.codec_private: bytes | None = None  # known once the first keyframe has been read
        # Timestamps that cannot place frames in time (a file's, going backwards, shared, ...): re-encoded with frame n
        # at n / fps, as the inference function samples such an upload (by position).
        self.by_position = False
        self.skipped = 0  # damaged samples left out of a remux
        try:
            stream = _video_stream(self._container, source)
            self.width = stream.codec_context.width
            self.height = stream.codec_context.height
            self.fps = float(stream.average_rate or stream.guessed_rate or 10)
            self.input_codec = stream.codec_context.name
            self.reencode = self._needs_reencode(reencode, stream)
        except BaseException:
            self._container.close()
            raise
        if width is not None and width != self.width:
            # A camera's sub-stream made from the file (issue 34): the same pictures scaled to this width, aspect
            # kept, re-encoded with the same timestamps and fragment clock.
            self.height, self.width, self.reencode = round(self.height * width / self.width), width, True
        if self.reencode:
            self.width -= self.width % 2  # 4:2:0 needs even dimensions
            self.height -= self.height % 2
        if self.by_position:
            from videoalert_inference.parts import POSITION_FALLBACK_FPS, POSITION_FPS_RANGE

            low, high = POSITION_FPS_RANGE
            self.fps = self.fps if low <= self.fps <= high else POSITION_FALLBACK_FPS

    def _needs_reencode(self, mode: str, stream: Any) -> bool:
        is_h264 = stream.codec_context.name == "h264"
        if mode == "never" and not is_h264:
            raise SourceError(
                f"{self.source!r} is {stream.codec_context.name}, not H.264 and --reencode never forbids "
                "re-encoding; use --reencode auto"
            )
        # A live source cannot be probed ahead; a long GOP there is reported when it is met.
        if is_live(self.source):
            return mode == "always" or not is_h264
        self._container.close()
        timeline = probe_timeline(self.source, self._timeout_s)
        self._container = _open(self.source, self._timeout_s)
        if timeline.odd is not None:
            if mode == "never":
                raise SourceError(f"{self.source!r}: its timestamps cannot place frames in time ({timeline.odd}), so "
                                  "it cannot be remuxed as it is; use --reencode auto")
            self.by_position = True
            return True
        if mode == "always" or not is_h264:
            return True
        if mode == "never":
            return False
        if timeline.max_keyframe_gap_ms == float("inf"):
            raise SourceError(f"{self.source!r} has no keyframe")
        return timeline.max_keyframe_gap_ms > MAX_FRAGMENT_MS

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def frames(self) -> Iterator[SourceFrame]:
        try:
            yield from (self._reencoded() if self.reencode else self._remuxed())
        except (av.FFmpegError, ValueError) as exc:
            raise SourceError(f"error while reading {self.source!r}: {exc}") from exc

    def _remuxed(self) -> Iterator[SourceFrame]:
        stream = self._container.streams.video[0]
        normalizer = AvccNormalizer(stream.codec_context.extradata)
        origin = None
        for packet in _packets(self._container, stream):
            ms = _to_ms(packet.pts if packet.pts is not None else packet.dts, stream.time_base)
            if ms is None or (origin is None and not packet.is_keyframe):
                continue  # a fragment must begin on a keyframe; frames before the first one are unusable
            try:
                data = normalizer.sample(bytes(packet), packet.is_keyframe)
            except ValueError:  # a damaged sample ("malformed AVCC sample"): left out, as a decoder would drop it
                self.skipped += 1
                continue
            if origin is None:
                origin = ms
                self.codec_private = normalizer.codec_private
                if self.codec_private is None:
                    raise SourceError(f"{self.source!r}: no H.264 parameter sets (SPS/PPS) before the first keyframe")
            yield SourceFrame(ms - origin, packet.is_keyframe, data)

    def _encoder(self) -> Any:
        gop = max(1, round(self.fps * self.fragment_seconds))
        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height = self.width, self.height
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = Fraction(1, 1000)
        encoder.framerate = Fraction(self.fps).limit_denominator(1001)
        encoder.gop_size = gop
        encoder.max_b_frames = 0
        # Keyframes are forced by time in _reencoded (fragments stay one length even when the frame
        # rate varies); keyint is only a fallback. No B-frames keeps each fragment's timestamps after
        # the previous fragment's, which PutMedia checks (error 4004).
        encoder.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "forced-idr": "1",
            "x264-params": f"keyint={2 * gop}:min-keyint={gop}:scenecut=0",
        }
        return encoder

    def _reencoded(self) -> Iterator[SourceFrame]:
        stream = self._container.streams.video[0]
        encoder = self._encoder()
        normalizer = AvccNormalizer(None)
        fragment_ms = round(self.fragment_seconds * 1000)
        origin, last_key = None, None
        for index, frame in enumerate(self._decoded(stream)):
            ms = None if self.by_position else _to_ms(frame.pts, frame.time_base)
            ms = round(index * 1000 / self.fps) if ms is None else ms
            origin = ms if origin is None else origin
            out = frame.reformat(width=self.width, height=self.height, format="yuv420p")
            out.pts, out.time_base = ms - origin, Fraction(1, 1000)
            # The decoder marks the source's own keyframes as I; only our fragment clock decides here.
            if last_key is None or out.pts - last_key >= fragment_ms:
                out.pict_type, last_key = PictureType.I, out.pts
            else:
                out.pict_type = PictureType.NONE
            yield from self._packets(encoder.encode(out), normalizer)
        yield from self._packets(encoder.encode(None), normalizer)

    def _decoded(self, stream: Any) -> Iterator[Any]:
        """The stream's frames in order; a packet the decoder refuses (damaged) gives none, as in the inference
        function, and a damaged tail ends them."""
        for packet in [*_packets(self._container, stream), None]:
            try:
                yield from stream.codec_context.decode(packet)
            except av.FFmpegError:
                self.skipped += 1

    def _packets(self, packets: Iterable[Any], normalizer: AvccNormalizer) -> Iterator[SourceFrame]:
        for packet in packets:
            data = normalizer.sample(bytes(packet), packet.is_keyframe)
            if self.codec_private is None:
                self.codec_private = normalizer.codec_private
            yield SourceFrame(int(packet.pts), packet.is_keyframe, data)
