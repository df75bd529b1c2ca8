"""The one preprocessing definition shared by training, evaluation, serving and the inference container."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import cv2
import numpy as np

# Bump when the procedure below changes: a model card naming another version is refused.
PREPROCESS_VERSION = "squash-area-rgb-imagenet-v1"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class PreprocessSpec:
    """How an RGB uint8 image becomes a model input; stored in the model card."""

    input_size: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    version: str = PREPROCESS_VERSION

    def to_card(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_card(cls, card_section: dict) -> "PreprocessSpec":
        spec = cls(
            input_size=int(card_section["input_size"]),
            mean=tuple(float(x) for x in card_section["mean"]),
            std=tuple(float(x) for x in card_section["std"]),
            version=str(card_section["version"]),
        )
        if spec.version != PREPROCESS_VERSION:
            raise ValueError(
                f"model card preprocessing {spec.version!r} does not match this code ({PREPROCESS_VERSION!r})"
            )
        return spec


def resize_rgb(image_rgb: np.ndarray, input_size: int) -> np.ndarray:
    """Squash the whole frame to a square: a camera frame keeps every pixel, nothing is cropped away."""
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {image_rgb.shape}")
    h, w = image_rgb.shape[:2]
    if h == input_size and w == input_size:
        return image_rgb  # already sized (the frame sampler resizes as it decodes): cv2 would only copy it
    interpolation = cv2.INTER_AREA if (h > input_size or w > input_size) else cv2.INTER_LINEAR
    return cv2.resize(image_rgb, (input_size, input_size), interpolation=interpolation)


def to_model_input(images_rgb: Sequence[np.ndarray], spec: PreprocessSpec) -> np.ndarray:
    """RGB uint8 images of any size -> float32 NCHW batch, normalised as the card says."""
    batch = np.stack([resize_rgb(img, spec.input_size) for img in images_rgb]).astype(np.float32)
    batch *= 1.0 / 255.0
    batch -= np.asarray(spec.mean, dtype=np.float32)
    batch /= np.asarray(spec.std, dtype=np.float32)
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
