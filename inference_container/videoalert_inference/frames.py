"""Frame sampling with PyAV: frames on a fixed grid of presentation times, decoding as little of the clip as possible."""
from __future__ import annotations

import io
import math
import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Union

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from .errors import CORRUPT_VIDEO, EMPTY_VIDEO, NO_FRAMES, NO_VIDEO_TRACK, TOO_LARGE, BadInputError
from .preprocess import resize_frame, resize_frame_to
from .tiles import TileGrid

VideoSource = Union[bytes, bytearray, memoryview, str, os.PathLike]

# Containers a camera or a user upload plausibly uses; anything else (an image, a text file that FFmpeg
# happens to probe as "tty") is refused rather than scored.
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mpegts", "avi", "flv"})
# 4K UHD: a bigger frame's decoder buffers alone would eat most of the function's memory.
DEFAULT_MAX_PIXELS = 3840 * 2160
# A frame this close before a grid time still counts as on time (timestamps are rounded by the muxer).
TIME_TOLERANCE_S = 1e-3


@dataclass(frozen=True)
class VideoInfo:
    """What the clip is: the contract's `video` object."""

    width: int
    height: int
    fps: float
    duration_s: float
    codec: str

    def to_dict(self) -> dict:
        return {"width": self.width, "height": self.height, "fps": round(self.fps, 3),
                "duration_s": round(self.duration_s, 3), "codec": self.codec}


@dataclass(frozen=True)
class SampledFrame:
    """One chosen frame: seconds from the start of the clip and its RGB pixels.

    `image` is the model-size squash when the sampler was asked to resize (straight from the decoder's YUV),
    else the full frame; `full` is the full-resolution frame as well, when asked for (motion regions);
    `canvas` the frame resized for cutting tiles, when the sampler has a tile grid.
    """

    t: float
    image: np.ndarray
    full: np.ndarray | None = None
    canvas: np.ndarray | None = None  # the frame at the tile grid's size (tiles.TileGrid.canvas_size), when asked


@dataclass
class DecodeStats:
    """Where the decoding time went, and how much of the clip the sampler avoided decoding."""

    decode_s: float = 0.0  # demux + decode + YUV->RGB
    resize_s: float = 0.0
    packets: int = 0
    packets_sent: int = 0
    frames_decoded: int = 0
    decode_errors: int = 0
    truncated: bool = False  # the file ends before its own index says it should

    def add(self, other: "DecodeStats") -> None:
        """Fold in the counts of one decoder worker (times add up: decode_s is decoder time, not wall time)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, (mine or theirs) if isinstance(mine, bool) else mine + theirs)


@dataclass
class _SegmentEnd:
    """A decoder worker's last word on its segment: its counts, and the error that ended it, if any."""

    stats: DecodeStats
    error: BaseException | None = None


@dataclass
class _Part:
    """One opened file of the clip, its video packets in decode order and their clip times."""

    info: VideoInfo
    packets: list
    times: dict = field(default_factory=dict)  # pts -> seconds on the clip's time line
    end_s: float = 0.0
    stopped_early: bool = False


class FrameSampler:
    """Samples frames at `sample_fps` across the consecutive parts of one clip, at most `max_frames` in all.

    Selection is by presentation time: the first frame at or after each grid time k / sample_fps (grid
    continues across parts), so variable frame rates and B-frame reordering give the same answer.
    Decoding avoids work the answer does not need: packets after the last chosen frame of a GOP are never
    sent to the decoder, unchosen non-reference frames are skipped (skip_frame=NONREF), and only chosen
    frames are converted to RGB: with `resize_to`, straight from YUV to the model's size in one swscale pass.
    """

    def __init__(self, sample_fps: float, max_frames: int, *, resize_to: int | None = None,
                 keep_full: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS, decoder_threads: int = 1,
                 decoder_workers: int = 1, tile_grid: TileGrid | None = None):
        if sample_fps <= 0 or max_frames < 1:
            raise ValueError("sample_fps must be > 0 and max_frames >= 1")
        self.period = 1.0 / sample_fps
        self.max_frames = max_frames
        self.resize_to = resize_to
        self.keep_full = keep_full or not resize_to
        if tile_grid is not None and not resize_to:
            raise ValueError("tiles need resize_to (the model's input size)")
        self.tile_grid = tile_grid
        self.max_pixels = max_pixels
        self.decoder_threads = decoder_threads
        # GOPs that start from a reset decoder are independent: with workers > 1 each is decoded by its own
        # decoder on its own thread (PyAV releases the GIL while decoding). Only for model-size output: full
        # frames of a whole GOP decoded ahead would cost too much memory.
        self.decoder_workers = max(1, decoder_workers) if not self.keep_full else 1
        self.stats = DecodeStats()
        self.parts: list[VideoInfo] = []
        self._next_target = 0.0
        self._offset = 0.0
        self._chosen = 0
        self._exhausted = False

    @property
    def done(self) -> bool:
        return self._exhausted or self._chosen >= self.max_frames

    def video_info(self) -> VideoInfo:
        first = self.parts[0]
        return VideoInfo(first.width, first.height, first.fps, sum(p.duration_s for p in self.parts), first.codec)

    def sample(self, source: VideoSource) -> Iterator[SampledFrame]:
        """Frames of one part (the next file of the clip), in time order."""
        if self.done:
            return
        started = time.perf_counter()
        container = _open_container(source)
        try:
            stream = _video_stream(container, self.max_pixels)
            part = self._read_part(container, stream)
            self.stats.decode_s += time.perf_counter() - started
            yield from self._decode_part(stream, part, source)
        finally:
            container.close()
        self.parts.append(part.info)
        self._offset = part.end_s
        self._exhausted = part.stopped_early

    def _read_part(self, container, stream) -> _Part:
        """Demux the video packets (cheap) so the decode plan can be made before decoding anything."""
        tb = stream.time_base
        horizon = self._next_target + (self.max_frames - self._chosen) * self.period + 2 * self.period
        packets, stopped_early, start_pts = [], False, None
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                if packet.pts is not None and start_pts is None:
                    start_pts = packet.pts
                # Beyond the last grid time we could still use: stop at the next keyframe (later packets
                # cannot be needed to decode earlier frames).
                if (packet.is_keyframe and packet.pts is not None and packets
                        and self._offset + float((packet.pts - start_pts) * tb) > horizon):
                    stopped_early = True
                    break
                packets.append(packet)
        except av.error.FFmpegError as exc:
            # Truncated or damaged after some point: score what precedes it.
            if not packets:
                raise BadInputError(CORRUPT_VIDEO, f"the video track is unreadable: {exc}") from None
            self.stats.decode_errors += 1
            self.stats.truncated = True
        self.stats.packets += len(packets)
        if not packets:
            raise BadInputError(NO_FRAMES, "the video track holds no frames")
        if not stopped_early and stream.frames and len(packets) < stream.frames:
            # The index promises more frames than the file holds: an upload cut short.
            self.stats.truncated = True

        cc = stream.codec_context
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        info_codec = cc.name
        if any(p.pts is None for p in packets):
            return _Part(VideoInfo(cc.width, cc.height, fps, 0.0, info_codec), packets, stopped_early=stopped_early)

        start_pts = min(p.pts for p in packets)
        last = max(packets, key=lambda p: p.pts)
        times = {p.pts: self._offset + float((p.pts - start_pts) * tb) for p in packets}
        # The last frame lasts as long as the typical frame: muxers often write a default duration for it.
        sorted_pts = sorted(times)
        gaps = np.diff(sorted_pts)
        if len(gaps):
            frame_s = float(np.median(gaps) * tb)
        else:
            frame_s = float(last.duration * tb) if last.duration else (1.0 / fps if fps else 0.0)
        end_s = times[last.pts] + frame_s
        if stopped_early and stream.duration:
            end_s = self._offset + float(stream.duration * tb)
        info = VideoInfo(cc.width, cc.height, fps, end_s - self._offset, info_codec)
        return _Part(info, packets, times, end_s, stopped_early)

    def _choose(self, clip_times: list[float]) -> list[int]:
        """Indices (into time-sorted `clip_times`) of the first frame at or after each grid time."""
        chosen = []
        for i, t in enumerate(clip_times):
            if self._chosen + len(chosen) >= self.max_frames:
                break
            if t + TIME_TOLERANCE_S >= self._next_target:
                chosen.append(i)
                steps = math.floor((t + TIME_TOLERANCE_S - self._next_target) / self.period) + 1
                self._next_target += steps * self.period
        return chosen

    def _decode_part(self, stream, part: _Part, source: VideoSource) -> Iterator[SampledFrame]:
        _configure(stream, self.decoder_threads)
        if not part.times:
            yield from self._decode_without_timestamps(stream, part)
            return
        ordered = sorted(part.times.items(), key=lambda kv: kv[1])
        chosen_pts = {ordered[i][0] for i in self._choose([t for _, t in ordered])}
        if not chosen_pts:
            return
        segments = _segments(_decode_plan(part.packets, chosen_pts))
        workers = min(self.decoder_workers, len(segments))
        if workers <= 1:
            for segment in segments:
                for sample in self._decode_ranges(stream.codec_context, part, segment, chosen_pts, self.stats):
                    self._chosen += 1
                    yield sample
            return
        yield from self._decode_in_parallel(stream, part, source, segments, chosen_pts, workers)

    def _decode_in_parallel(self, stream, part: _Part, source: VideoSource, segments: list, chosen_pts: set,
                            workers: int) -> Iterator[SampledFrame]:
        """Each segment on a free decoder of `workers` (the stream's own plus copies opened from the source).

        A segment's frames are handed over one by one as its decoder gives them out, so the model can score
        the first GOP while the later ones are still decoding; they come out in time order all the same.
        """
        extra = [_open_container(source) for _ in range(workers - 1)]
        decoders: queue.SimpleQueue = queue.SimpleQueue()
        decoders.put(stream.codec_context)
        for container in extra:
            copy = container.streams.video[0]
            _configure(copy, self.decoder_threads)
            decoders.put(copy.codec_context)
        outputs = [queue.SimpleQueue() for _ in segments]
        stop = threading.Event()

        def decode(segment, out: queue.SimpleQueue) -> None:
            if stop.is_set():
                return
            cc, stats = decoders.get(), DecodeStats()
            try:
                for sample in self._decode_ranges(cc, part, segment, chosen_pts, stats):
                    if stop.is_set():
                        break
                    out.put(sample)
                out.put(_SegmentEnd(stats))
            except BaseException as exc:  # handed to the consumer, which re-raises it in time order
                out.put(_SegmentEnd(stats, exc))
            finally:
                decoders.put(cc)

        pool = ThreadPoolExecutor(workers, thread_name_prefix="videoalert-gop")
        futures = [pool.submit(decode, segment, out) for segment, out in zip(segments, outputs)]
        try:
            for out in outputs:
                while True:
                    item = out.get()
                    if isinstance(item, _SegmentEnd):
                        self.stats.add(item.stats)
                        if item.error is not None:
                            raise item.error
                        break
                    self._chosen += 1
                    yield item
        finally:
            stop.set()
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True)
            for container in extra:
                container.close()

    def _decode_ranges(self, cc, part: _Part, ranges: list, chosen_pts: set, stats: DecodeStats) -> Iterator[SampledFrame]:
        """The chosen frames of consecutive plan ranges, each converted as soon as the decoder gives it out."""
        reformatter = VideoReformatter()  # this thread's scaler, built once for the run of frames
        tile_reformatter = VideoReformatter() if self.tile_grid else None
        for lo, hi, reset_after in ranges:
            packets: list = [*part.packets[lo:hi], *([None] if reset_after else [])]  # None drains the decoder
            for packet in packets:
                started = time.perf_counter()
                if packet is not None:
                    # Unchosen frames nothing else references need not be reconstructed at all.
                    cc.skip_frame = "DEFAULT" if packet.pts in chosen_pts else "NONREF"
                frames = _send(cc, packet, stats)
                stats.decode_s += time.perf_counter() - started
                for frame in frames:
                    if frame.pts in chosen_pts:
                        yield self._to_sample(part.times[frame.pts], frame, stats, reformatter, tile_reformatter)
            if reset_after:
                cc.flush_buffers()

    def _decode_without_timestamps(self, stream, part: _Part) -> Iterator[SampledFrame]:
        """Streams without packet timestamps (rare: raw elementary streams): decode all, time by frame."""
        cc = stream.codec_context
        fps = part.info.fps or 1.0
        index, last_t = 0, self._offset
        for packet in [*part.packets, None]:
            started = time.perf_counter()
            frames = _send(cc, packet, self.stats)
            self.stats.decode_s += time.perf_counter() - started
            for frame in frames:
                t = self._offset + (float(frame.time) if frame.time is not None else index / fps)
                index, last_t = index + 1, t
                if self._chosen < self.max_frames and self._choose([t]):
                    self._chosen += 1
                    yield self._to_sample(t, frame, self.stats)
        part.end_s = last_t + 1.0 / fps
        part.info = VideoInfo(part.info.width, part.info.height, part.info.fps, part.end_s - self._offset,
                              part.info.codec)

    def _to_sample(self, t: float, frame, stats: DecodeStats, reformatter: VideoReformatter | None = None,
                   tile_reformatter: VideoReformatter | None = None) -> SampledFrame:
        started = time.perf_counter()
        full = frame.to_ndarray(format="rgb24") if self.keep_full else None
        converted = time.perf_counter()
        image = resize_frame(frame, self.resize_to, reformatter) if self.resize_to else full
        canvas = None
        if self.tile_grid is not None and self.resize_to:
            width, height = self.tile_grid.canvas_size(frame.width, frame.height, self.resize_to)
            canvas = resize_frame_to(frame, width, height, tile_reformatter)
        stats.decode_s += converted - started
        stats.resize_s += time.perf_counter() - converted
        return SampledFrame(round(t, 3), image, full if self.resize_to else None, canvas)


def _configure(stream, decoder_threads: int) -> None:
    stream.thread_type = "AUTO"
    stream.codec_context.thread_count = decoder_threads


def _send(cc, packet, stats: DecodeStats) -> list:
    """Frames the decoder gives out for this packet (None: drain); a damaged packet counts and gives none."""
    try:
        if packet is not None:
            stats.packets_sent += 1
        frames = cc.decode(packet)
    except av.error.FFmpegError:
        # A damaged packet: the decoder resynchronises at the next keyframe.
        stats.decode_errors += 1
        return []
    stats.frames_decoded += len(frames)
    return frames


def _segments(plan: list[tuple[int, int, bool]]) -> list[list[tuple[int, int, bool]]]:
    """Split the plan where the decoder is reset: each segment then decodes on a fresh decoder, independently."""
    segments, current = [], []
    for step in plan:
        current.append(step)
        if step[2]:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments


def _decode_plan(packets: list, chosen_pts: set) -> list[tuple[int, int, bool]]:
    """Packet index ranges [lo, hi) to decode, each ending at the last chosen frame of its GOP.

    `reset_after` is true where the packets that follow the range are skipped: the decoder is drained and
    reset so it starts clean at the next keyframe. GOPs with leading pictures (open GOP: frames shown before
    their keyframe, referencing the previous GOP) are decoded whole, since skipping would corrupt them.
    """
    starts = [i for i, p in enumerate(packets) if p.is_keyframe] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    bounds = list(zip(starts, starts[1:] + [len(packets)]))
    open_gop = any(p.pts < packets[lo].pts for lo, hi in bounds[1:] for p in packets[lo:hi])
    if open_gop:
        bounds = [(0, len(packets))]
    ranges = []
    for lo, hi in bounds:
        needed = [i for i in range(lo, hi) if packets[i].pts in chosen_pts]
        if needed:
            ranges.append([lo, needed[-1] + 1])
    plan = []
    for n, (lo, hi) in enumerate(ranges):
        next_lo = ranges[n + 1][0] if n + 1 < len(ranges) else None
        # Drain at the end too: frames still held back for reordering must come out.
        plan.append((lo, hi, next_lo is None or next_lo != hi))
    return plan


def _open_container(source: VideoSource):
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
        return av.open(file, mode="r")
    except av.error.FFmpegError as exc:
        raise BadInputError(CORRUPT_VIDEO, f"not a readable video container: {exc}") from None


def _video_stream(container, max_pixels: int):
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no streams"]
        raise BadInputError(NO_VIDEO_TRACK, f"the file has no video track ({', '.join(kinds)})")
    formats = set(container.format.name.split(","))
    if not formats & VIDEO_CONTAINERS:
        raise BadInputError(CORRUPT_VIDEO, f"{container.format.name!r} is not a video container (an image?)")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > max_pixels:
        raise BadInputError(TOO_LARGE, f"{width}x{height} frames exceed the {max_pixels}-pixel limit")
    return stream
