"""Ground-truth person boxes of the real images that have them: COCO YOLO label files and CamVid label maps.

Boxes are [x0, y0, x1, y1] as fractions of the image. CamVid marks pedestrians (9) and bicyclists (10) per pixel:
each connected blob of those classes is one box (people who touch merge into one, which only makes a box taller,
never invents a person); blobs under MIN_BLOB_PX pixels are dropped (a hand or a head behind a car).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

ANNOTATIONS = "annotations"
CAMVID_PERSON_CLASSES = (9, 10)
MIN_BLOB_PX = 20
COCO_PERSON = 0
BOXED_SOURCES = ("person/camvid_street", "person/coco128", "not_person/coco128")


def annotation_path(real_images: Path, source: str, image_name: str) -> Path | None:
    """The annotation file of one image (real/annotations/<source>/...), or None if it has none."""
    root = real_images.parent / ANNOTATIONS / source
    stem = Path(image_name).stem
    for suffix in (".txt", ".png"):
        if (root / (stem + suffix)).is_file():
            return root / (stem + suffix)
    return None


def coco_boxes(label_file: Path) -> list[tuple[float, float, float, float]]:
    boxes = []
    for line in label_file.read_text().splitlines():
        parts = line.split()
        if len(parts) < 5 or int(float(parts[0])) != COCO_PERSON:
            continue
        cx, cy, w, h = (float(v) for v in parts[1:5])
        boxes.append((max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(1.0, cx + w / 2), min(1.0, cy + h / 2)))
    return boxes


def camvid_boxes(label_map: Path) -> list[tuple[float, float, float, float]]:
    from PIL import Image
    from scipy import ndimage

    with Image.open(label_map) as image:
        labels = np.asarray(image)
    if labels.ndim == 3:
        labels = labels[..., 0]
    mask = np.isin(labels, CAMVID_PERSON_CLASSES)
    blobs, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    height, width = labels.shape
    boxes = []
    for index, found in enumerate(ndimage.find_objects(blobs), start=1):
        if found is None or int((blobs[found] == index).sum()) < MIN_BLOB_PX:
            continue
        ys, xs = found
        boxes.append((xs.start / width, ys.start / height, xs.stop / width, ys.stop / height))
    return boxes


def person_boxes(real_images: Path, source: str, image_name: str) -> list[tuple[float, float, float, float]] | None:
    """The person boxes of one image, or None when its source has no annotations for it."""
    path = annotation_path(Path(real_images), source, image_name)
    if path is None:
        return None
    return coco_boxes(path) if path.suffix == ".txt" else camvid_boxes(path)


def height_bucket(height_fraction: float) -> str:
    """The issue's size classes: people under 10 %, 10-25 %, over 25 % of the frame height."""
    if height_fraction < 0.10:
        return "under_10pct"
    return "10_25pct" if height_fraction <= 0.25 else "over_25pct"
