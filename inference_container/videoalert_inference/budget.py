"""What one request may cost (WorkLimits) and what it has cost so far (WorkBudget), over every pass over its file and
every decoder thread: past a limit, BadInputError (OVER_LIMIT or TOO_LARGE)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from .errors import OVER_LIMIT, TOO_LARGE, BadInputError

# 4K UHD: a bigger frame's decoder buffers alone would eat most of the function's memory.
DEFAULT_MAX_PIXELS = 3840 * 2160
# Two minutes of 60 fps video, every frame a reference: far more than a one-minute window of any camera needs.
DEFAULT_MAX_FRAMES_DECODED = 7200
# Half the inference function's 120 s timeout: the model and the download need the rest.
DEFAULT_MAX_DECODE_S = 60.0
# Packets demuxed per request, over every pass: a 60-minute upload at 120 fps is 432,000 (about 1.5 s of CPU and
# 60 MB); a file of tiny packets (a packet flood) stops here instead of costing its whole size.
DEFAULT_MAX_PACKETS = 500_000
# Pixels decoded per request: a minute of 1080p at 120 fps (the frame limit alone would allow 7,200 4K frames).
DEFAULT_MAX_PIXELS_DECODED = 7200 * 1920 * 1080
@dataclass(frozen=True)
class WorkLimits:
    """What one request may cost, whatever the file claims."""

    max_pixels: int = DEFAULT_MAX_PIXELS  # per decoded frame
    max_frames_decoded: int = DEFAULT_MAX_FRAMES_DECODED
    max_decode_s: float = DEFAULT_MAX_DECODE_S  # decoder time, summed over decoder threads
    max_packets: int = DEFAULT_MAX_PACKETS  # packets demuxed
    max_pixels_decoded: int = DEFAULT_MAX_PIXELS_DECODED  # summed over decoded frames


class WorkBudget:
    """The work done so far for one request, shared by its decoder threads and by every pass over its file (scoring,
    sampling by position, the best frame); raises BadInputError past a limit."""

    def __init__(self, limits: WorkLimits | None = None):
        self.limits = limits or WorkLimits()
        self._lock = threading.Lock()
        self.packets = 0
        self.frames = 0
        self.pixels = 0
        self.seconds = 0.0

    def charge_packets(self, packets: int) -> None:
        with self._lock:
            self.packets += packets
            demuxed = self.packets
        if demuxed > self.limits.max_packets:
            raise BadInputError(OVER_LIMIT, f"reading it needs more than {self.limits.max_packets} packets demuxed "
                                            "(the limit per clip)")

    def charge(self, frames: int, seconds: float, pixels: int = 0) -> None:
        with self._lock:
            self.frames += frames
            self.seconds += seconds
            self.pixels += pixels
            decoded, spent, area = self.frames, self.seconds, self.pixels
        if decoded > self.limits.max_frames_decoded:
            raise BadInputError(OVER_LIMIT, f"scoring it needs more than {self.limits.max_frames_decoded} frames "
                                            "decoded (the limit per clip)")
        if area > self.limits.max_pixels_decoded:
            raise BadInputError(OVER_LIMIT, f"scoring it needs more than {self.limits.max_pixels_decoded} pixels "
                                            "decoded (the limit per clip)")
        if spent > self.limits.max_decode_s:
            raise BadInputError(OVER_LIMIT, f"decoding took more than {self.limits.max_decode_s:g} s (the limit per "
                                            "clip)")

    def check_size(self, width: int, height: int) -> None:
        if width * height > self.limits.max_pixels:
            raise BadInputError(TOO_LARGE, f"{width}x{height} frames exceed the {self.limits.max_pixels}-pixel limit")
