"""The one preprocessing definition shared by training, evaluation, serving and the inference container."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

# Bump when the procedure below changes: a model card naming another version is refused.
# v2: libswscale's area filter (through PyAV) instead of OpenCV's INTER_AREA, so the container needs no
# OpenCV and a decoded frame goes from YUV to the model's RGB size in one step. On the 256 validation images
# the two differ by 0.013 grey levels on average (at most 6) and the released model's scores by at most 0.0034.
PREPROCESS_VERSION = "squash-swscale-area-rgb-imagenet-v2"
RESIZE_INTERPOLATION = "AREA"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class PreprocessSpec:
    """How an RGB uint8 image becomes a model input; stored in the model card."""

    input_size: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    version: str = PREPROCESS_VERSION

    def to_card(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_card(cls, card_section: Mapping[str, Any]) -> PreprocessSpec:
        spec = cls(
            input_size=int(card_section["input_size"]),
            mean=_triple(card_section["mean"]),
            std=_triple(card_section["std"]),
            version=str(card_section["version"]),
        )
        if spec.version != PREPROCESS_VERSION:
            raise ValueError(
                f"model card preprocessing {spec.version!r} does not match this code ({PREPROCESS_VERSION!r})"
            )
        return spec


def resize_frame(frame: av.VideoFrame, input_size: int, reformatter: VideoReformatter | None = None) -> np.ndarray:
    """Squash a decoded frame (any pixel format) to input_size x input_size RGB: the whole frame, nothing cropped.

    libswscale converts and resizes in one pass, so a 1080p YUV frame never becomes a full-size RGB array.
    Pass one `reformatter` for a run of frames of the same size and format (one thread at a time): its scaler
    context is built once instead of per frame, which cost about 1.5 ms of the 2.5 ms per 640x480 frame
    right after decoding (bench/README.md); the pixels are the same.
    """
    if reformatter is None:
        return frame.reformat(width=input_size, height=input_size, format="rgb24",
                              interpolation=RESIZE_INTERPOLATION).to_ndarray()
    return reformatter.reformat(frame, width=input_size, height=input_size, format="rgb24",
                                interpolation=RESIZE_INTERPOLATION).to_ndarray()


def resize_frame_to(frame: av.VideoFrame, width: int, height: int,
                    reformatter: VideoReformatter | None = None) -> np.ndarray:
    """The same filter to any width x height, aspect kept by the caller (the tile canvas, tiles.TileGrid)."""
    if reformatter is None:
        return frame.reformat(width=width, height=height, format="rgb24",
                              interpolation=RESIZE_INTERPOLATION).to_ndarray()
    return reformatter.reformat(frame, width=width, height=height, format="rgb24",
                                interpolation=RESIZE_INTERPOLATION).to_ndarray()


def resize_rgb(image_rgb: np.ndarray, input_size: int) -> np.ndarray:
    """The same squash for an RGB uint8 array (training images, uploads, motion crops)."""
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {image_rgb.shape}")
    h, w = image_rgb.shape[:2]
    if h == input_size and w == input_size:
        return image_rgb  # already sized (the frame sampler resizes as it decodes)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb, dtype=np.uint8), format="rgb24")
    return resize_frame(frame, input_size)


def to_model_input(images_rgb: Sequence[np.ndarray], spec: PreprocessSpec) -> np.ndarray:
    """RGB uint8 images of any size -> float32 NCHW batch, normalised as the card says.

    Each channel goes through a 256-entry table of ((v * (1/255)) - mean) / std, computed in float32 in that order:
    the same numbers as doing the arithmetic on the whole batch, written in one pass straight into NCHW order.
    """
    sized = [resize_rgb(img, spec.input_size) for img in images_rgb]
    if not sized:
        raise ValueError("need at least one image")
    table = _normalising_table(spec.mean, spec.std)
    batch = np.empty((len(sized), 3, spec.input_size, spec.input_size), np.float32)
    for n, image in enumerate(sized):
        for channel in range(3):
            np.take(table[channel], image[:, :, channel], out=batch[n, channel])
    return batch


@lru_cache(maxsize=8)
def _normalising_table(mean: tuple[float, float, float], std: tuple[float, float, float]) -> np.ndarray:
    """Per channel, the normalised float32 value of each uint8 level (3 x 256)."""
    levels = np.arange(256, dtype=np.float32)[None, :].repeat(3, axis=0)
    levels *= 1.0 / 255.0
    levels -= np.asarray(mean, dtype=np.float32)[:, None]
    levels /= np.asarray(std, dtype=np.float32)[:, None]
    return levels


def _triple(values: Sequence[float]) -> tuple[float, float, float]:
    """A card's per-channel mean or std (RGB)."""
    r, g, b = (float(v) for v in values)
    return r, g, b
