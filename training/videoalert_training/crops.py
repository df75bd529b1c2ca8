"""Region crops of real scenes, framed as the product frames them (videoalert_inference.regions.crop_box).

The product's ResNet no longer sees whole frames by default: it sees the crops of the person detector's proposals.
So it learns on exactly that: positives are real people's boxes (CamVid label maps, COCO boxes, the detector's
confident boxes on the street frames) and real people pasted into real empty scenes at every size; negatives are
what the detector proposes on real scenes with nobody in them (its false proposals: posts, car doors, shadows,
animals), and person-shaped boxes anywhere in those scenes. Proposals are computed once per detector and image
(whole frame and 2x2 tiles, as served) and cached as JSON beside the mask cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from videoalert_inference.regions import crop_box

from .box_match import intersection
from .data import read_rgb
from .person_boxes import person_boxes
from .real_data import RealImage, list_real

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
# Real scenes with no person (data README: each viewed on contact sheets), and horses (a handler's hand may show at
# an edge of a Weizmann photo: their proposals are kept only away from the edges).
SCENE_SOURCES: dict[str, tuple[int, str]] = {
    "not_person/houses_frontal": (0, "frame"),
    "not_person/houses_interior": (0, "frame"),
    "not_person/alpr_cars": (0, "frame"),
    "not_person/imagenet_sample": (0, "frame"),
    "not_person/cats_asirra": (0, "frame"),
    "not_person/coco128": (0, "frame"),
    "not_person/camvid_roads": (0, "frame"),
    "not_person/misc": (0, "frame"),
    "horse/weizmann": (0, "frame"),
    "horse/misc": (0, "frame"),
}
BOXED_PERSON_SOURCES: dict[str, tuple[int, str]] = {
    "person/camvid_street": (1, "frame"),
    "person/coco128": (1, "frame"),
}
DETECTED_PERSON_SOURCES: dict[str, tuple[int, str]] = {
    "person/street_640x480": (1, "frame"),
    "person/misc": (1, "frame"),
}
CONFIDENT_PERSON = 0.5  # data README: detector boxes at >= 0.5 are reliably people
MIN_BOX_PX = 16  # people shorter than this in the image are not taught (nor reliably labelled)
# CamVid proposals that touch no pedestrian pixel are NOT clean negatives: viewed on a contact sheet, the ones the
# first crop model scored highest were mostly real people the label maps miss (walkers at the kerb, a cyclist). Off
# by default; the released model's first stage had them (train --street-negatives reproduces it).
TILE = 0.6  # the 2x2 tiles the product runs the detector on: 60 % of each side


@dataclass
class CropBank:
    """Images in memory and the boxes to cut from them; label 1 = the box holds a person."""

    scenes: list[np.ndarray] = field(default_factory=list)  # person-free
    scene_proposals: list[tuple[int, Box]] = field(default_factory=list)
    person_images: list[np.ndarray] = field(default_factory=list)
    person_boxes: list[tuple[int, Box]] = field(default_factory=list)
    person_image_negatives: list[tuple[int, Box]] = field(default_factory=list)  # CamVid: no person pixel inside

    @cached_property
    def negative_regions(self) -> list[tuple[np.ndarray, Box]]:
        """Every negative region with its image: proposals on empty scenes, then those on streets away from people."""
        return ([(self.scenes[i], box) for i, box in self.scene_proposals]
                + [(self.person_images[i], box) for i, box in self.person_image_negatives])

    def summary(self) -> dict[str, int]:
        return {"scenes": len(self.scenes), "scene_proposals": len(self.scene_proposals),
                "person_images": len(self.person_images), "person_boxes": len(self.person_boxes),
                "person_image_negatives": len(self.person_image_negatives)}


def views(width: int, height: int) -> list[Box]:
    """The whole frame and the 2x2 overlapping tiles the product runs the detector on, as fractions."""
    return [(0.0, 0.0, 1.0, 1.0)] + [(x, y, x + TILE, y + TILE) for y in (0.0, 1 - TILE) for x in (0.0, 1 - TILE)]


def propose(detector: object, image: np.ndarray) -> list[tuple[Box, float]]:
    """The detector's proposals on the whole image and its tiles, mapped back to the image (fractions)."""
    from videoalert_inference.detector import INPUT_SIZE
    from videoalert_inference.preprocess import resize_rgb

    h, w = image.shape[:2]
    out: list[tuple[Box, float]] = []
    for vx0, vy0, vx1, vy1 in views(w, h):
        part = image[int(vy0 * h):int(round(vy1 * h)), int(vx0 * w):int(round(vx1 * w))]
        detections = detector.detect(resize_rgb(np.ascontiguousarray(part), INPUT_SIZE)[None])[0]  # type: ignore[attr-defined]
        for d in detections:
            x0, y0, x1, y1 = d.box
            out.append(((vx0 + x0 * (vx1 - vx0), vy0 + y0 * (vy1 - vy0), vx0 + x1 * (vx1 - vx0),
                         vy0 + y1 * (vy1 - vy0)), d.score))
    return out


def touches(a: Box, b: Box) -> bool:
    """Any overlap at all: a CamVid proposal touching a person is not a clean negative."""
    return intersection(a, b) > 0


def _proposals_cached(detector: object, images: list[RealImage], pixels: list[np.ndarray],
                      cache: Path) -> list[list[tuple[Box, float]]]:
    cache.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(cache.read_text()) if cache.is_file() else {}
    out = []
    for image, rgb in zip(images, pixels, strict=True):
        if image.sha256 not in known:
            known[image.sha256] = [[list(b), s] for b, s in propose(detector, rgb)]
        out.append([(tuple(b), float(s)) for b, s in known[image.sha256]])
    cache.write_text(json.dumps(known))
    return out  # type: ignore[return-value]


def _big_enough(box: Box, image: np.ndarray) -> bool:
    h, w = image.shape[:2]
    return (box[3] - box[1]) * h >= MIN_BOX_PX and (box[2] - box[0]) * w >= MIN_BOX_PX / 3


def _away_from_edges(box: Box, margin: float = 0.08) -> bool:
    return box[0] > margin and box[1] > margin and box[2] < 1 - margin and box[3] < 1 - margin


def load_bank(real_images: str | Path, split: str, cache_dir: str | Path, detector: object,
              limit: int | None = None, street_negatives: bool = False) -> CropBank:
    """The crop bank of one split: images loaded, proposals computed (or read from the cache)."""
    real_images = Path(real_images)
    settings = getattr(detector, "settings", None)
    served = "" if settings is None or not settings.stretch else f"-{settings.min_score}-stretch"
    tag = hashlib.sha256((str(getattr(detector, "version", "detector")) + served).encode()).hexdigest()[:8]
    cache = Path(cache_dir) / f"proposals-{tag}.json"
    bank = CropBank()

    def listed(sources: dict[str, tuple[int, str]]) -> list[RealImage]:
        items = list_real(real_images, split, sources)
        return items[:: max(1, len(items) // limit)] if limit else items

    scenes = listed(SCENE_SOURCES)
    bank.scenes = [read_rgb(i.path) for i in scenes]
    for index, (image, proposals) in enumerate(zip(scenes, _proposals_cached(detector, scenes, bank.scenes, cache),
                                                   strict=True)):
        for box, _ in proposals:
            if image.source.startswith("horse/") and not _away_from_edges(box):
                continue
            if _big_enough(box, bank.scenes[index]):
                bank.scene_proposals.append((index, box))

    boxed = listed(BOXED_PERSON_SOURCES)
    boxed_pixels = [read_rgb(i.path) for i in boxed]
    camvid = [i for i in boxed if i.source == "person/camvid_street"]
    camvid_pixels = [p for i, p in zip(boxed, boxed_pixels, strict=True) if i.source == "person/camvid_street"]
    camvid_proposals = dict(zip((i.sha256 for i in camvid),
                                _proposals_cached(detector, camvid, camvid_pixels, cache), strict=True)
                            ) if street_negatives else {}
    for image, rgb in zip(boxed, boxed_pixels, strict=True):
        index = len(bank.person_images)
        bank.person_images.append(rgb)
        truth = person_boxes(real_images, image.source, image.path.name) or []
        bank.person_boxes.extend((index, b) for b in truth if _big_enough(b, rgb))
        if street_negatives:
            for box, _ in camvid_proposals.get(image.sha256, []):
                if not any(touches(box, t) for t in truth) and _big_enough(box, rgb):
                    bank.person_image_negatives.append((index, box))

    detected = listed(DETECTED_PERSON_SOURCES)
    detected_pixels = [read_rgb(i.path) for i in detected]
    for rgb, proposals in zip(detected_pixels, _proposals_cached(detector, detected, detected_pixels, cache),
                              strict=True):
        index = len(bank.person_images)
        bank.person_images.append(rgb)
        bank.person_boxes.extend((index, b) for b, s in proposals if s >= CONFIDENT_PERSON and _big_enough(b, rgb))
    log.info("crop bank (%s): %s", split, bank.summary())
    return bank


def jitter(box: Box, rng: np.random.Generator, amount: float = 0.12) -> Box:
    """The box moved and resized a little, as a detector's box sits around a person."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 + rng.normal(0, amount / 2) * w, (y0 + y1) / 2 + rng.normal(0, amount / 2) * h
    w, h = w * float(np.exp(rng.normal(0, amount))), h * float(np.exp(rng.normal(0, amount)))
    return (max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(1.0, cx + w / 2), min(1.0, cy + h / 2))


def cut(image: np.ndarray, box: Box) -> np.ndarray:
    """The region's crop as the product cuts it (not yet resized: to_model_input squashes it)."""
    h, w = image.shape[:2]
    b = crop_box(box, w, h)
    return np.ascontiguousarray(image[b.y0:b.y1, b.x0:b.x1])


def random_person_box(rng: np.random.Generator, height: tuple[float, float] = (0.05, 0.7)) -> Box:
    """A person-shaped box anywhere in a frame (fractions), height log-uniform."""
    h = float(np.exp(rng.uniform(np.log(height[0]), np.log(height[1]))))
    w = min(0.95, h * float(rng.uniform(0.3, 1.0)))
    x0, y0 = float(rng.uniform(0, 1 - w)), float(rng.uniform(0, 1 - h))
    return (x0, y0, x0 + w, y0 + h)


def validation_crops(bank: CropBank, max_per_scene: int = 2) -> tuple[list[np.ndarray], list[int], list[str]]:
    """Every region of a validation bank as the product would score it, no jitter: person boxes (1), the
    detector's proposals on empty scenes and CamVid proposals touching no person (0). Returns images, labels and
    each crop's group ("person_box", "scene_proposal", "street_negative")."""
    images: list[np.ndarray] = []
    labels: list[int] = []
    groups: list[str] = []
    for index, box in bank.person_boxes:
        images.append(cut(bank.person_images[index], box))
        labels.append(1)
        groups.append("person_box")
    per_scene: dict[int, int] = {}
    for index, box in bank.scene_proposals:
        if per_scene.get(index, 0) >= max_per_scene:
            continue
        per_scene[index] = per_scene.get(index, 0) + 1
        images.append(cut(bank.scenes[index], box))
        labels.append(0)
        groups.append("scene_proposal")
    for index, box in bank.person_image_negatives:
        images.append(cut(bank.person_images[index], box))
        labels.append(0)
        groups.append("street_negative")
    return images, labels, groups


def default_detector(floor: float | None = None) -> object:
    """The released detector (models/) with the settings the released ResNet's proposals were made with: views as
    decoded (the served path also stretches each view's contrast, DetectorSettings.stretch, since; the cached
    proposals and `make train`'s reproduction of the release stay as they were). With `floor`: the views as served
    (stretched) and proposals down to that detector score, the lower floor region_score.py's combination allows."""
    from videoalert_inference.detector import DetectorSettings, load_detector
    from videoalert_inference.settings import REPO_MODEL_DIR

    settings = DetectorSettings(stretch=False) if floor is None else DetectorSettings(min_score=floor, stretch=True)
    return load_detector(REPO_MODEL_DIR, intra_op_threads=1, settings=settings)
