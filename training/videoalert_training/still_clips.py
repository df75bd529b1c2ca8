"""A still photo made into a short H.264 clip, like a fixed camera watching that scene: for measuring the product's
clip path (decoding, sampling, regions, the rule) on photos of scenes.

Two variants, chosen from the image's sha256 so a photo always gets the same one (and the same bytes):
- "pan": a slow pan and zoom across the still (the window drifts a few percent and zooms in or out by up to 12 %),
  bilinear, so consecutive frames differ by sub-pixel motion;
- "noise": the still as it is, with light sensor noise (Gaussian, sigma 3 of 255) and a small brightness drift
  (up to +-8 % over the clip).
`static_clip` is the still unchanged (for images with ground-truth boxes: nothing moves, so the boxes hold).

Clips are encoded in memory with PyAV's libx264 (yuv420p, even dimensions, one thread: the same bytes on every run)
with a keyframe every second and no B-frames, as cameras send them (x264's B-frame decisions made the bytes differ
from run to run, even on one thread); nothing is written to disk.
"""
from __future__ import annotations

import io

import av
import cv2
import numpy as np

PAN, NOISE = "pan", "noise"
VARIANTS = (PAN, NOISE)
DEFAULT_SECONDS = 12.0
DEFAULT_FPS = 10
NOISE_SIGMA = 3.0
NOISE_FIELDS = 8  # noise fields drawn once per clip and cycled (one per frame would cost more than the encoding)
MAX_DRIFT = 0.08  # brightness gain reached at the clip's end: 1 +- up to this
MAX_ZOOM = 0.12
MAX_SHIFT = 0.04  # of the frame's side
CRF = 23
PRESET = "ultrafast"  # with a keyframe a second and a high bitrate (about 1 Mbit/s at 512x384): the cheapest


def variant_of(sha256: str) -> str:
    """The image's variant. Not from the first hex digits: those pick the validation split (0-3)."""
    return VARIANTS[int(sha256[8:16], 16) % len(VARIANTS)]


def _rng(sha256: str) -> np.random.Generator:
    return np.random.default_rng(int(sha256[16:32], 16))


def even_size(image: np.ndarray) -> np.ndarray:
    """The image cropped to even width and height (yuv420p needs them)."""
    height, width = image.shape[:2]
    if height < 2 or width < 2:
        raise ValueError(f"image too small for a clip: {width}x{height}")
    return np.ascontiguousarray(image[: height - height % 2, : width - width % 2])


def pan_frames(image: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` views of the image along a slow straight pan and zoom (each the image's size)."""
    height, width = image.shape[:2]
    zoom_in = rng.random() < 0.5
    zoom = rng.uniform(0.5, 1.0) * MAX_ZOOM
    z0, z1 = (1.0, 1.0 + zoom) if zoom_in else (1.0 + zoom, 1.0)
    shift = rng.uniform(-MAX_SHIFT, MAX_SHIFT, size=2) * (width, height)
    frames = []
    for index in range(count):
        a = index / max(1, count - 1)
        scale = z0 + (z1 - z0) * a
        # A window of 1/scale of the image, centred on the image's centre moved by a * shift, kept inside the image.
        win_w, win_h = width / scale, height / scale
        cx = np.clip(width / 2 + a * shift[0], win_w / 2, width - win_w / 2)
        cy = np.clip(height / 2 + a * shift[1], win_h / 2, height - win_h / 2)
        # dst(x, y) = src(x / scale + x0, y / scale + y0): the inverse map for warpAffine.
        matrix = np.array([[1 / scale, 0, cx - win_w / 2], [0, 1 / scale, cy - win_h / 2]], dtype=np.float64)
        frames.append(cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                     borderMode=cv2.BORDER_REFLECT))
    return frames


def noise_frames(image: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` copies of the image with sensor noise and a brightness drift from 1 to 1 +- drift."""
    drift = rng.uniform(0.4, 1.0) * MAX_DRIFT * (1 if rng.random() < 0.5 else -1)
    fields = rng.normal(0.0, NOISE_SIGMA, size=(NOISE_FIELDS, *image.shape)).astype(np.float32)
    order = rng.integers(0, NOISE_FIELDS, size=count)
    base = image.astype(np.float32)
    frames = []
    for index in range(count):
        gain = 1.0 + drift * index / max(1, count - 1)
        frames.append(np.clip(base * gain + fields[order[index]], 0, 255).astype(np.uint8))
    return frames


def encode_h264(frames: list[np.ndarray], fps: int = DEFAULT_FPS) -> bytes:
    """RGB frames (all one even size) as an MP4 of H.264, in memory; a keyframe every second."""
    if not frames:
        raise ValueError("no frames to encode")
    height, width = frames[0].shape[:2]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = fps
        stream.codec_context.thread_count = 1
        stream.codec_context.options = {"preset": PRESET, "crf": str(CRF),
                                        "x264-params": f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0:threads=1"}
        for image in frames:
            # OpenCV's BT.601 limited-range I420 is what libswscale gives, at a twentieth of its time here.
            yuv = cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420)
            for packet in stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def still_clip(image: np.ndarray, sha256: str, seconds: float = DEFAULT_SECONDS, fps: int = DEFAULT_FPS,
               variant: str | None = None) -> bytes:
    """The still (RGB uint8) as a clip of `seconds` at `fps`: its sha256's variant unless one is given."""
    variant = variant or variant_of(sha256)
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    image = even_size(image)
    count = max(1, int(round(seconds * fps)))
    rng = _rng(sha256)
    frames = pan_frames(image, count, rng) if variant == PAN else noise_frames(image, count, rng)
    return encode_h264(frames, fps)


def static_clip(image: np.ndarray, seconds: float = 1.0, fps: int = DEFAULT_FPS) -> bytes:
    """The still unchanged for `seconds` (ground-truth boxes stay where they are)."""
    image = even_size(image)
    return encode_h264([image] * max(1, int(round(seconds * fps))), fps)
