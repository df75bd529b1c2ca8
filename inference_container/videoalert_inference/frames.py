"""Frame sampling with PyAV: frames on a fixed grid of presentation times, decoding as little of the clip as possible.

Work limits hold whatever the file says, for the whole request (one WorkBudget, every pass over the file: the
scoring pass, the by-position pass, the best-frame pass): each decoded frame's size (FFmpeg refuses to allocate a
larger one, in the probe of the file's opening too, and a frame that grows past the limit mid-stream ends the clip
TOO_LARGE), the packets demuxed, the frames and pixels decoded and the decode time (counted as it goes, across
decoder threads: OVER_LIMIT). Any error of the demuxer or decoder on the file (FFmpeg's, or PyAV's own on a damaged
file) is the file's: a damaged tail or packet ends or skips it, a file with nothing readable is CORRUPT_VIDEO.
Timestamps that cannot place frames in time (shared, going backwards, jumping more than a minute, negative, missing)
are not trusted: the part is sampled by position (frame n is at n / fps) instead, so such a clip is scored whole or
refused, never half.
"""
from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields

import numpy as np
from av.video.reformatter import VideoReformatter

from .budget import WorkBudget, WorkLimits
from .containers import (
    CodecContext,
    Container,
    Demuxed,
    Frame,
    Packet,
    Stream,
    VideoSource,
    open_container,
    raise_if_out_of_memory,
    video_stream,
)
from .decode_plan import Plan, decode_plan, segments
from .frame_plan import cheaper_choice
from .parts import Part, VideoInfo, read_part
from .preprocess import resize_frame, resize_frame_to
from .tiles import TileGrid

# A frame this close before a grid time still counts as on time (timestamps are rounded by the muxer).
TIME_TOLERANCE_S = 1e-3
# Parallel decoders may run ahead of the scorer by a whole part: with full frames kept, they decode in parallel only
# while all of a part's chosen full frames fit in this (a 60 s 640x480 minute at 1 fps: 55 MB; 720p and larger
# decode on one thread).
PARALLEL_FULL_FRAMES_BYTES = 128 * 2**20


@dataclass(frozen=True)
class SampledFrame:
    """One chosen frame: seconds from the start of the clip and its RGB pixels.

    `image` is the model-size squash when the sampler was asked to resize (straight from the decoder's YUV),
    else the full frame; `full` is the full-resolution frame as well, when asked for (motion regions);
    `canvas` the frame resized for cutting tiles, when the sampler has a tile grid. `decoded` is the decoder's frame
    when the full-resolution RGB frame is made only if asked for (`full_rgb`: detect mode converts only the frames
    it cuts a crop or a tile from; a still scene's frames with no proposal never are).
    """

    t: float
    image: np.ndarray
    full: np.ndarray | None = None
    canvas: np.ndarray | None = None  # the frame at the tile grid's size (tiles.TileGrid.canvas_size), when asked
    decoded: Frame | None = field(default=None, repr=False, compare=False)

    def full_rgb(self) -> np.ndarray | None:
        """The full-resolution RGB frame: `full`, else the decoded frame converted once (then kept)."""
        if self.full is None and self.decoded is not None:
            object.__setattr__(self, "full", self.decoded.to_ndarray(format="rgb24"))
            object.__setattr__(self, "decoded", None)
        return self.full

    @property
    def full_bytes(self) -> int:
        """The full-resolution RGB frame's size, converted or not."""
        if self.full is not None:
            return int(self.full.nbytes)
        if self.decoded is not None:
            return int(self.decoded.width) * int(self.decoded.height) * 3
        return int(self.image.nbytes)


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

    def add(self, other: DecodeStats) -> None:
        """Fold in the counts of one decoder worker (times add up: decode_s is decoder time, not wall time)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, (mine or theirs) if isinstance(mine, bool) else mine + theirs)


@dataclass
class _SegmentEnd:
    """A decoder worker's last word on its segment: its counts, and the error that ended it, if any."""

    stats: DecodeStats
    error: BaseException | None = None


class FrameSampler:
    """Samples frames at `sample_fps` across the consecutive parts of one clip, at most `max_frames` in all, between
    `start_s` and `end_s` (seconds from the clip's start; None: to its end).

    Selection is by presentation time: the first frame at or after each grid time start_s + k / sample_fps (grid
    continues across parts), so variable frame rates and B-frame reordering give the same answer.
    Decoding avoids work the answer does not need: packets after the last chosen frame of a GOP are never
    sent to the decoder, unchosen non-reference frames are skipped (skip_frame=NONREF), and only chosen
    frames are converted to RGB: with `resize_to`, straight from YUV to the model's size in one swscale pass.
    A part whose timestamps cannot be trusted (odd_timestamps) is sampled by position instead.
    min_frames: a clip given whole in one part (`sample(..., whole_clip=True)`) whose time range is too short for
    min_frames grid times at sample_fps is sampled on a finer grid, min_frames times evenly across its length (never
    more than max_frames, and never more than the frames it holds). Its length is known before anything is decoded:
    the part's packets are demuxed first anyway, so this costs no second read.
    """

    def __init__(self, sample_fps: float, max_frames: int, *, resize_to: int | None = None,
                 keep_full: bool = False, limits: WorkLimits | None = None, decoder_threads: int = 1,
                 decoder_workers: int = 1, tile_grid: TileGrid | None = None, start_s: float = 0.0,
                 end_s: float | None = None, min_frames: int = 0, budget: WorkBudget | None = None,
                 lazy_full: bool = False, frame_window: float = 0.0, skip_loop_filter: str = "default"):
        if sample_fps <= 0 or max_frames < 1 or min_frames < 0:
            raise ValueError("sample_fps must be > 0, max_frames >= 1 and min_frames >= 0")
        if start_s < 0 or (end_s is not None and end_s <= start_s):
            raise ValueError("need 0 <= start_s < end_s")
        self.period = 1.0 / sample_fps
        self.max_frames = max_frames
        self.min_frames = min(min_frames, max_frames)
        self.start_s = start_s
        self.resize_to = resize_to
        self.keep_full = keep_full or not resize_to
        self.lazy_full = lazy_full  # the full frame converted to RGB only when asked for (SampledFrame.full_rgb)
        if tile_grid is not None and not resize_to:
            raise ValueError("tiles need resize_to (the model's input size)")
        self.tile_grid = tile_grid
        # The request's budget when given (every pass over one request's file shares it), else this sampler's own.
        self.budget = budget or WorkBudget(limits)
        self.limits = self.budget.limits
        self.decoder_threads = decoder_threads
        # GOPs that start from a reset decoder are independent: with workers > 1 each is decoded by its own
        # decoder on its own thread (PyAV releases the GIL while decoding). Frames decoded ahead wait in memory:
        # with full frames kept, only while a part's chosen frames fit in PARALLEL_FULL_FRAMES_BYTES.
        self.decoder_workers = max(1, decoder_workers)
        self.end_s = end_s
        # Decoding cost levers (bench/README.md, "CPU per clip"): a sampled frame may be a cheaper one up to
        # frame_window periods earlier (frame_plan.cheaper_choice); skip_loop_filter is FFmpeg's (e.g. "nokey": no
        # deblocking but on keyframes).
        self.frame_window = frame_window
        self.skip_loop_filter = skip_loop_filter
        self.stats = DecodeStats()
        self.parts: list[VideoInfo] = []
        self._next_target = start_s
        self._offset = 0.0
        self._chosen = 0
        self._exhausted = False

    @property
    def done(self) -> bool:
        return self._exhausted or self._chosen >= self.max_frames

    def video_info(self) -> VideoInfo:
        first = self.parts[0]
        sampled_by = "position" if any(p.sampled_by == "position" for p in self.parts) else "time"
        return VideoInfo(first.width, first.height, first.fps, sum(p.duration_s for p in self.parts), first.codec,
                         sampled_by)

    @property
    def sample_fps(self) -> float:
        """The rate frames are sampled at: the one asked for, or a short clip's finer one (min_frames)."""
        return 1.0 / self.period

    def sample(self, source: VideoSource, *, whole_clip: bool = False) -> Iterator[SampledFrame]:
        """Frames of one part (the next file of the clip), in time order; whole_clip: this part is all of it."""
        if self.done:
            return
        started = time.perf_counter()
        container = open_container(source, self.limits.max_pixels)
        try:
            stream = video_stream(container, self.limits.max_pixels)
            part = self._read_part(container, stream)
            if whole_clip and not self.parts:
                self._fit_short_clip(part.end_s)
            self.stats.decode_s += time.perf_counter() - started
            if part.odd is None:
                yield from self._decode_part(stream, part, source)
        finally:
            container.close()
        if part.odd is not None:
            yield from self._sample_by_position(source, part)
        self.parts.append(part.info)
        self._offset = part.end_s
        self._exhausted = part.stopped_early or (self.end_s is not None and self._offset >= self.end_s)

    def _fit_short_clip(self, clip_end_s: float) -> None:
        """A clip whose sampled range is shorter than min_frames periods: min_frames grid times evenly across it.

        The part's packets were all kept: the range is shorter than min_frames <= max_frames periods, which is
        inside the horizon _read_part keeps packets to.
        """
        end = clip_end_s if self.end_s is None else min(self.end_s, clip_end_s)
        span = end - self.start_s
        if self.min_frames and 0 < span < self.min_frames * self.period:
            self.period = span / self.min_frames

    def _read_part(self, container: Container, stream: Stream) -> Part:
        """The part's packets and timeline (parts.read_part), keeping packets up to the last grid time sampling could
        still use; its damage and truncation counted."""
        horizon = self._next_target + (self.max_frames - self._chosen) * self.period + 2 * self.period
        if self.end_s is not None:
            horizon = min(horizon, self.end_s + 2 * self.period)
        part = read_part(container, stream, self.budget, offset=self._offset, horizon=horizon)
        if part.damaged:
            self.stats.decode_errors += 1
        self.stats.truncated = self.stats.truncated or part.truncated
        self.stats.packets += len(part.packets)
        return part

    def _choose(self, clip_times: list[float]) -> list[int]:
        """Indices (into time-sorted `clip_times`) of the first frame at or after each grid time, before end_s."""
        chosen: list[int] = []
        for i, t in enumerate(clip_times):
            if self._chosen + len(chosen) >= self.max_frames:
                break
            if self.end_s is not None and t >= self.end_s - TIME_TOLERANCE_S:
                break
            if t + TIME_TOLERANCE_S >= self._next_target:
                chosen.append(i)
                steps = math.floor((t + TIME_TOLERANCE_S - self._next_target) / self.period) + 1
                self._next_target += steps * self.period
        return chosen

    def _decode_part(self, stream: Stream, part: Part, source: VideoSource) -> Iterator[SampledFrame]:
        self._configure(stream)
        ordered = sorted(part.times.items(), key=lambda kv: kv[1])
        chosen_pts = {ordered[i][0] for i in self._choose([t for _, t in ordered])}
        if not chosen_pts:
            return
        chosen_pts = cheaper_choice(part.packets, part.times, chosen_pts, self.frame_window * self.period,
                                    self.start_s - TIME_TOLERANCE_S)
        independent = segments(decode_plan(part.packets, chosen_pts))
        workers = min(self._parallel_decoders(stream, len(chosen_pts)), len(independent))
        if workers <= 1:
            for segment in independent:
                for sample in self._decode_ranges(stream.codec_context, part, segment, chosen_pts, self.stats):
                    self._chosen += 1
                    yield sample
            return
        yield from self._decode_in_parallel(stream, part, source, independent, chosen_pts, workers)

    def _parallel_decoders(self, stream: Stream, frames: int) -> int:
        """How many decoders may work on this part at once (see PARALLEL_FULL_FRAMES_BYTES)."""
        if not self.keep_full:
            return self.decoder_workers
        cc = stream.codec_context
        full_bytes = frames * int(cc.width or 0) * int(cc.height or 0) * 3
        return self.decoder_workers if 0 < full_bytes <= PARALLEL_FULL_FRAMES_BYTES else 1

    def _decode_in_parallel(self, stream: Stream, part: Part, source: VideoSource, segments: list[Plan],
                            chosen_pts: set[int], workers: int) -> Iterator[SampledFrame]:
        """Each segment on a free decoder of `workers` (the stream's own plus copies opened from the source).

        A segment's frames are handed over one by one as its decoder gives them out, so the model can score
        the first GOP while the later ones are still decoding; they come out in time order all the same.
        """
        extra = [open_container(source, self.limits.max_pixels) for _ in range(workers - 1)]
        decoders: queue.SimpleQueue[CodecContext] = queue.SimpleQueue()
        decoders.put(stream.codec_context)
        for container in extra:
            copy = container.streams.video[0]
            self._configure(copy)
            decoders.put(copy.codec_context)
        outputs: list[queue.SimpleQueue[SampledFrame | _SegmentEnd]] = [queue.SimpleQueue() for _ in segments]
        stop = threading.Event()

        def decode(segment: Plan, out: queue.SimpleQueue[SampledFrame | _SegmentEnd]) -> None:
            if stop.is_set():
                return
            cc, stats = decoders.get(), DecodeStats()
            try:
                for sample in self._decode_ranges(cc, part, segment, chosen_pts, stats):
                    if stop.is_set():
                        break
                    out.put(sample)
                out.put(_SegmentEnd(stats))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it in time order
                out.put(_SegmentEnd(stats, exc))
            finally:
                decoders.put(cc)

        pool = ThreadPoolExecutor(workers, thread_name_prefix="videoalert-gop")
        futures = [pool.submit(decode, segment, out) for segment, out in zip(segments, outputs, strict=True)]
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

    def _decode_ranges(self, cc: CodecContext, part: Part, ranges: Plan, chosen_pts: set[int],
                       stats: DecodeStats) -> Iterator[SampledFrame]:
        """The chosen frames of consecutive plan ranges, each converted as soon as the decoder gives it out."""
        reformatter = VideoReformatter()  # this thread's scaler, built once for the run of frames
        tile_reformatter = VideoReformatter() if self.tile_grid else None
        given: set[int] = set()  # a timestamp is one frame, however many the decoder gives out with it
        for lo, hi, reset_after in ranges:
            packets: list[Packet | None] = [*part.packets[lo:hi], *([None] if reset_after else [])]  # None: drain
            for packet in packets:
                started = time.perf_counter()
                if packet is not None:
                    # Unchosen frames nothing else references need not be reconstructed at all.
                    cc.skip_frame = "DEFAULT" if packet.pts in chosen_pts else "NONREF"
                frames = self._send(cc, packet, stats, started)
                for frame in frames:
                    if frame.pts in chosen_pts and frame.pts not in given:
                        given.add(frame.pts)
                        yield self._to_sample(part.times[frame.pts], frame, stats, reformatter, tile_reformatter)
            if reset_after:
                cc.flush_buffers()

    def _sample_by_position(self, source: VideoSource, part: Part) -> Iterator[SampledFrame]:
        """A part whose timestamps cannot be trusted: every frame decoded in order, frame n at n / fps."""
        container = open_container(source, self.limits.max_pixels)
        try:
            stream = container.streams.video[0]
            self._configure(stream)
            cc = stream.codec_context
            fps, index = part.info.fps, 0
            reformatter = VideoReformatter()
            tile_reformatter = VideoReformatter() if self.tile_grid else None
            for packet in self._packets_then_drain(container, stream):
                if self.done or (self.end_s is not None and self._offset + index / fps >= self.end_s):
                    break
                for frame in self._send(cc, packet, self.stats, time.perf_counter()):
                    t = self._offset + index / fps
                    index += 1
                    if not self.done and self._choose([t]):
                        self._chosen += 1
                        yield self._to_sample(t, frame, self.stats, reformatter, tile_reformatter)
        finally:
            container.close()

    def _packets_then_drain(self, container: Container, stream: Stream) -> Iterator[Packet | None]:
        """The stream's packets in decode order, then None (drain the decoder); a damaged tail ends them early."""
        demuxed = Demuxed(container, stream, self.budget)
        yield from demuxed
        if demuxed.error is not None:
            self.stats.decode_errors += 1
            self.stats.truncated = True
        yield None

    def _configure(self, stream: Stream) -> None:
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = self.decoder_threads
        # FFmpeg itself refuses to allocate a frame over the limit, so a stream whose frames grow mid-way never
        # holds one in memory; _send then names the size.
        options = {"max_pixels": str(self.limits.max_pixels)}
        if self.skip_loop_filter != "default":
            options["skip_loop_filter"] = self.skip_loop_filter
        stream.codec_context.options = options

    def _send(self, cc: CodecContext, packet: Packet | None, stats: DecodeStats, started: float) -> list[Frame]:
        """Frames the decoder gives out for this packet (None: drain); a damaged packet counts and gives none.

        Every frame's size, the frames decoded and the decode time are charged to the request's budget here, as
        decoding goes.
        """
        if packet is not None:
            stats.packets_sent += 1
        try:
            frames: list[Frame] = list(cc.decode(packet))
        except Exception as exc:  # noqa: BLE001 - FFmpeg's errors and PyAV's own on damaged input are the file's
            raise_if_out_of_memory(exc)
            elapsed = time.perf_counter() - started
            stats.decode_s += elapsed
            self.budget.charge(0, elapsed)
            # The decoder refused a frame over the pixel limit (its size is already in the context)
            self.budget.check_size(cc.width, cc.height)
            # else a damaged packet: the decoder resynchronises at the next keyframe
            stats.decode_errors += 1
            return []
        for frame in frames:
            self.budget.check_size(frame.width, frame.height)
        elapsed = time.perf_counter() - started
        stats.decode_s += elapsed
        stats.frames_decoded += len(frames)
        self.budget.charge(len(frames), elapsed, sum(frame.width * frame.height for frame in frames))
        return frames

    def _to_sample(self, t: float, frame: Frame, stats: DecodeStats, reformatter: VideoReformatter | None = None,
                   tile_reformatter: VideoReformatter | None = None) -> SampledFrame:
        started = time.perf_counter()
        full = frame.to_ndarray(format="rgb24") if self.keep_full and not (self.lazy_full and self.resize_to) else None
        converted = time.perf_counter()
        image = resize_frame(frame, self.resize_to, reformatter) if self.resize_to else full
        assert image is not None  # keep_full holds whenever resize_to is not set
        canvas = None
        if self.tile_grid is not None and self.resize_to:
            width, height = self.tile_grid.canvas_size(frame.width, frame.height, self.resize_to)
            canvas = resize_frame_to(frame, width, height, tile_reformatter)
        stats.decode_s += converted - started
        stats.resize_s += time.perf_counter() - converted
        decoded = frame if self.keep_full and self.lazy_full and self.resize_to else None
        return SampledFrame(round(t, 3), image, full if self.resize_to else None, canvas, decoded)
