"""Camera-condition augmentations on RGB images: flip, crop/scale, rotation, exposure, blur, noise, JPEG."""
from __future__ import annotations

import cv2
import numpy as np


def random_resized_crop(img: np.ndarray, rng: np.random.Generator, scale=(0.45, 1.0), ratio=(0.75, 1.33)) -> np.ndarray:
    h, w = img.shape[:2]
    for _ in range(10):
        area = h * w * rng.uniform(*scale)
        aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
        cw, ch = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            return img[y:y + ch, x:x + cw]
    return img


def camera_augment(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """float32/uint8 RGB in, uint8 RGB out, as a home camera might have delivered it."""
    img = img.astype(np.float32)
    h, w = img.shape[:2]
    if rng.random() < 0.5:
        img = img[:, ::-1]
    if rng.random() < 0.5:
        angle = rng.uniform(-12, 12)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        img = cv2.warpAffine(np.ascontiguousarray(img), matrix, (w, h), borderMode=cv2.BORDER_REFLECT_101)
    # Exposure, contrast, white balance drift.
    gain = rng.uniform(0.55, 1.35)
    contrast = rng.uniform(0.7, 1.3)
    mean = img.mean()
    img = (img - mean) * contrast + mean * gain
    img = img * rng.uniform(0.9, 1.1, 3).astype(np.float32) + rng.uniform(-15, 15)
    if rng.random() < 0.35:
        sigma = rng.uniform(0.4, 1.6)
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < 0.6:
        img = img + rng.normal(0, rng.uniform(1, 9), img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 96))])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return np.ascontiguousarray(img)
