"""The clip's best frame as a person sees it: the frame of the best-scoring entry that counts (inside the camera's
zones), decoded again from the clip at full resolution, its scored region outlined, as a JPEG.

The inference image has PyAV and numpy, and FFmpeg's MJPEG encoder is in PyAV's wheel: no Pillow or OpenCV is
added. The zip functions have no decoder at all, so the frame is made here, where the clip is already in memory.
"""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import av
import numpy as np

from videoalert_contract.zones import Polygon, region_counts

from .budget import WorkBudget
from .containers import VideoSource
from .frames import FrameSampler
from .scoring import FrameScore

MAX_WIDTH = 640
JPEG_QUALITY = "4"  # FFmpeg's qscale: 2 (best) .. 31; 4 gives 30-60 KB at 640x480
OUTLINE_RGB = (255, 32, 32)
_TIME_TOLERANCE_S = 1e-3


def best_entry(frames: Sequence[FrameScore], zones: Sequence[Polygon], masks: Sequence[Polygon]) -> FrameScore | None:
    """The highest-scoring entry that counts for an alert (videoalert_contract.zones.region_counts)."""
    counting = [f for f in frames if region_counts(f.box, zones, masks)]
    return max(counting, key=lambda f: f.score, default=None)


def decode_frame_at(parts: Sequence[VideoSource], t: float, budget: WorkBudget | None = None) -> np.ndarray | None:
    """The full-resolution RGB frame the scorer sampled at t seconds: the same sampler, the same time line, charged to
    the request's budget (the scoring pass's: a second pass over the file gets no fresh limits)."""
    sampler = FrameSampler(1.0, 1, start_s=max(0.0, t - _TIME_TOLERANCE_S), budget=budget)
    for part in parts:
        for frame in sampler.sample(part):
            full = frame.full_rgb()
            return full if full is not None else frame.image
        if sampler.done:
            break
    return None


def outline(image: np.ndarray, box: Sequence[float], width: int = 3) -> np.ndarray:
    """The image with a box (fractions of the frame) drawn on it."""
    out = image.copy()
    h, w = out.shape[:2]
    x0, y0 = int(box[0] * w), int(box[1] * h)
    x1, y1 = max(x0 + 1, int(box[2] * w)), max(y0 + 1, int(box[3] * h))
    color = np.asarray(OUTLINE_RGB, dtype=np.uint8)
    out[y0:min(h, y0 + width), x0:x1] = color
    out[max(0, y1 - width):y1, x0:x1] = color
    out[y0:y1, x0:min(w, x0 + width)] = color
    out[y0:y1, max(0, x1 - width):x1] = color
    return out


def encode_jpeg(image_rgb: np.ndarray, max_width: int = MAX_WIDTH) -> bytes:
    """RGB uint8 -> JPEG bytes (at most max_width wide, aspect kept, even sides for 4:2:0)."""
    h, w = image_rgb.shape[:2]
    scale = min(1.0, max_width / w)
    out_w, out_h = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb, dtype=np.uint8), format="rgb24")
    frame = frame.reformat(width=out_w, height=out_h, format="yuvj420p", interpolation="AREA")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = out_w, out_h, "yuvj420p"
    codec.time_base = Fraction(1, 1)
    codec.options = {"q": JPEG_QUALITY}
    packets = [*codec.encode(frame), *codec.encode(None)]
    return b"".join(bytes(p) for p in packets)


def best_frame_jpeg(parts: Sequence[VideoSource], entry: FrameScore, budget: WorkBudget | None = None) -> bytes | None:
    """The JPEG of this entry's frame with its region outlined (a whole-frame entry: no outline); None if the frame
    no longer decodes. Raises BadInputError when the request's budget runs out."""
    image = decode_frame_at(parts, entry.t, budget)
    if image is None:
        return None
    if entry.box is not None:
        image = outline(image, entry.box)
    return encode_jpeg(image)
