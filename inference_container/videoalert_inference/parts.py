"""One opened file of a clip (a part): its video packets demuxed (cheap) before anything is decoded, so the decode plan
can be made first, and its timeline: when the timestamps can place its frames in time, each frame's clip time; when
they cannot (shared, going backwards, jumping more than a minute, negative, missing), the part is sampled by position
instead (frame n at n / fps)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .budget import WorkBudget
from .containers import Container, Demuxed, Packet, Stream
from .errors import CORRUPT_VIDEO, NO_FRAMES, BadInputError

# Timestamps that leave a longer gap between two frames do not place frames in time (a camera's minute has none).
MAX_TIMESTAMP_GAP_S = 60.0
# In decode order a frame may precede (B-frames) at most this many frames shown before it.
MAX_REORDER = 16
# Sampling by position uses the stream's frame rate when it is a camera's (1-120 fps), else this.
POSITION_FALLBACK_FPS = 25.0
POSITION_FPS_RANGE = (1.0, 120.0)


@dataclass(frozen=True)
class VideoInfo:
    """What the clip is: the contract's `video` object."""

    width: int
    height: int
    fps: float
    duration_s: float
    codec: str
    sampled_by: str = "time"  # "position" when the timestamps could not be trusted

    def to_dict(self) -> dict[str, Any]:
        info: dict[str, Any] = {"width": self.width, "height": self.height, "fps": round(self.fps, 3),
                                "duration_s": round(self.duration_s, 3), "codec": self.codec}
        return info if self.sampled_by == "time" else {**info, "sampled_by": self.sampled_by}


@dataclass
class Part:
    """One opened file of the clip: its video packets in decode order (up to what sampling can use) and their clip
    times; all_pts holds every packet's timestamp, read to the end of the file."""

    info: VideoInfo
    packets: list[Packet]
    all_pts: list[int | None]
    times: dict[int, float] = field(default_factory=dict)  # pts -> seconds on the clip's time line
    end_s: float = 0.0
    stopped_early: bool = False
    odd: str | None = None  # why the timestamps cannot be trusted (None: they can)
    damaged: bool = False  # the demuxer stopped on an error after some packets (a damaged or truncated tail)
    truncated: bool = False  # the file ends before its own index says it should


def odd_timestamps(pts: Sequence[int | None], time_base: Fraction) -> str | None:
    """Why a part's packet timestamps (in decode order) cannot place its frames in time; None when they can."""
    if any(p is None for p in pts):
        return "frames without timestamps"
    values = [int(p) for p in pts if p is not None]
    if not values:
        return None
    if len(set(values)) < len(values):
        return "frames share timestamps"
    if min(values) * time_base < -1:
        return "negative timestamps"
    running_max = values[0]
    for i in range(MAX_REORDER, len(values)):
        running_max = max(running_max, values[i - MAX_REORDER])
        if values[i] <= running_max:
            return "timestamps go backwards"
    ordered = sorted(values)
    gap = max((b - a for a, b in zip(ordered, ordered[1:], strict=False)), default=0) * time_base
    if gap > MAX_TIMESTAMP_GAP_S:
        return f"timestamps jump {float(gap):.0f} s"
    return None


def read_part(container: Container, stream: Stream, budget: WorkBudget, *, offset: float, horizon: float) -> Part:
    """Demux the part's video packets; `offset` is where the part starts on the clip's time line, `horizon` the last
    clip time sampling could still use.

    Packets past the horizon are not kept, but the demuxing goes on to the end of the file for their timestamps: the
    part's true length, and whether its timestamps can be trusted at all.
    """
    packets, all_pts, stopped_early, error = _demux(container, stream, budget, offset=offset, horizon=horizon)
    if error is not None and not packets:
        raise BadInputError(CORRUPT_VIDEO, f"the video track is unreadable: {error}")
    if not packets:
        raise BadInputError(NO_FRAMES, "the video track holds no frames")
    # Truncated or damaged after some point: what precedes it is scored. An index that promises more frames than
    # the file holds: an upload cut short.
    damaged = error is not None
    truncated = damaged or bool(stream.frames and len(all_pts) < stream.frames)
    odd = odd_timestamps(all_pts, Fraction(stream.time_base))
    cc = stream.codec_context
    fps = float(stream.average_rate or stream.guessed_rate or 0.0)
    if odd is not None:
        low, high = POSITION_FPS_RANGE
        rate = fps if low <= fps <= high else POSITION_FALLBACK_FPS
        end_s = offset + len(all_pts) / rate
        info = VideoInfo(cc.width, cc.height, rate, end_s - offset, cc.name, "position")
        return Part(info, packets, all_pts, {}, end_s, False, odd, damaged, truncated)
    times, end_s = _timeline(packets, all_pts, stream, offset=offset, fps=fps)
    info = VideoInfo(cc.width, cc.height, fps, end_s - offset, cc.name)
    return Part(info, packets, all_pts, times, end_s, stopped_early, None, damaged, truncated)


def _demux(container: Container, stream: Stream, budget: WorkBudget, *, offset: float,
           horizon: float) -> tuple[list[Packet], list[int | None], bool, BaseException | None]:
    """The packets kept (up to the keyframe past the horizon), every packet's timestamp, whether packets stopped
    being kept, and the demuxer's error, if one ended it."""
    tb = stream.time_base
    packets: list[Packet] = []
    all_pts: list[int | None] = []
    stopped_early, start_pts = False, None
    demuxed = Demuxed(container, stream, budget)
    for packet in demuxed:
        all_pts.append(packet.pts)
        if stopped_early:
            continue
        if packet.pts is not None and start_pts is None:
            start_pts = packet.pts
        # Beyond the last grid time we could still use: stop keeping packets at the next keyframe (later
        # packets cannot be needed to decode earlier frames).
        if (packet.is_keyframe and packet.pts is not None and start_pts is not None and packets
                and offset + float((packet.pts - start_pts) * tb) > horizon):
            stopped_early = True
            continue
        packets.append(packet)
    return packets, all_pts, stopped_early, demuxed.error


def _timeline(packets: list[Packet], all_pts: list[int | None], stream: Stream, *, offset: float,
              fps: float) -> tuple[dict[int, float], float]:
    """Each kept packet's clip time (from the part's first timestamp) and where the part ends on the clip's time line.

    The last frame lasts as long as the typical frame: muxers often write a default duration for it.
    """
    tb = stream.time_base
    known = [p for p in all_pts if p is not None]
    first_pts = min(known)
    times = {p.pts: offset + float((p.pts - first_pts) * tb) for p in packets}
    ordered = sorted(known)
    gaps = np.diff(ordered)
    if len(gaps):
        frame_s = float(np.median(gaps) * tb)
    else:
        last = packets[-1]
        frame_s = float(last.duration * tb) if last.duration else (1.0 / fps if fps else 0.0)
    return times, offset + float((ordered[-1] - first_pts) * tb) + frame_s
