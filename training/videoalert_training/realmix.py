"""Camera-like training samples from real photos: real people and horses, composites at camera scales, CGI kept."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from videoalert_inference.preprocess import PreprocessSpec, to_model_input

from .augment import camera_augment, random_resized_crop
from .crops import CropBank, cut, jitter, random_person_box
from .cutouts import Cutout, load_cutouts
from .data import LabelledImage, read_rgb
from .datamodule import CameraSynthDataset, draw_index
from .real_data import RealImage
from .scenes import _blend, _fit_subject, paste_at_edge, random_scene

log = logging.getLogger(__name__)

# How a sample is made (probabilities). Real photos of both classes, composites of real cut-out people and
# real or CGI horses at the scales a camera (or a tile of its frame) sees them, and the CGI kinds kept so the
# model still knows the horse-or-human renders and the edge hard negatives.
REAL_MIX = {
    "person_crop": 0.12,  # an INRIA pedestrian crop, lightly re-cropped
    "person_frame": 0.07,  # a whole (or 50-100 %) street frame: people at every scale, real clutter
    "horse_photo": 0.09,  # a Weizmann horse photo, whole or cropped (a handler's hand may show)
    "horse_tile": 0.0,  # a square part of a horse photo, as a tile of a close camera sees it (legs, neck, head)
    "tiny_negative": 0.07,  # a CIFAR-10 dog, cat, deer, bird, car or truck (32 px, upscaled)
    "composite": 0.28,  # 1-4 real people pasted (cut out) into a scene, with horses/objects around
    "composite_empty": 0.17,  # the same scenes and distractors, nobody in them
    "cgi": 0.15,  # the horse-or-human kinds (render crops, CGI cut-outs in scenes, white backdrop)
    "render": 0.0,  # a whole horse-or-human render (a CGI person or horse filling the frame), lightly cropped
    "edge": 0.05,  # a horse (real or CGI) 10-40 % inside the frame at a border
    # Region crops of real scenes, as the detector-first product shows the ResNet (crops.py):
    "box_person": 0.0,  # a real person's box (CamVid, COCO, confident detector boxes), jittered, cropped
    "scene_person": 0.0,  # a real cut-out person pasted into a real empty scene at 4-60 % of its height, cropped
    "scene_proposal": 0.0,  # a detector proposal on a real empty scene, or on a street away from every person
    "scene_box": 0.0,  # a person-shaped box anywhere in a real empty scene
    "scene_frame": 0.0,  # a whole real empty scene (the whole-frame mode still sees these)
    # Users' labels (issue 35): an image of a `videoalert export-dataset` folder's train split (`train --labels`), as
    # labelled, lightly re-cropped: the regions a deployment's users said are (not) a person.
    "labelled": 0.0,
}
CROP_KINDS = ("box_person", "scene_person", "scene_proposal", "scene_box", "scene_frame")


def with_hard_negatives(share: float) -> dict[str, float]:
    """REAL_MIX with `share` of samples turned into horse_tile hard negatives, the other kinds scaled down."""
    if not 0 <= share < 1:
        raise ValueError(f"hard-negative share must be in [0, 1), got {share}")
    mix = {k: v * (1 - share) for k, v in REAL_MIX.items()}
    mix["horse_tile"] = share
    return mix


def parse_mix(text: str, base: dict[str, float] | None = None) -> dict[str, float]:
    """`kind=weight,...` over `base` (REAL_MIX): the named kinds get those weights, then all are normalised."""
    mix = dict(REAL_MIX if base is None else base)
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = part.partition("=")
        if not sep or kind.strip() not in REAL_MIX:
            raise ValueError(f"mix entry {part!r}: expected kind=weight with kind one of {sorted(REAL_MIX)}")
        weight = float(value)
        if weight < 0:
            raise ValueError(f"mix entry {part!r}: weight must be >= 0")
        mix[kind.strip()] = weight
    total = sum(mix.values())
    if total <= 0:
        raise ValueError("mix weights sum to 0")
    return {k: v / total for k, v in mix.items()}


# Canvas shapes: whole 4:3 and 16:9 frames, and square tiles of a frame.
CANVASES = ((240, 320), (256, 256), (216, 384))
PERSON_HEIGHT = (0.08, 0.6)  # of the canvas, drawn log-uniform: small people are the common case on cameras
INRIA_RECT = (16 / 96, 12 / 160, 64 / 96, 136 / 160)  # x, y, w, h: the crops have a 16 px margin around the person
WEIZMANN_RECT = (0.03, 0.03, 0.94, 0.94)


@dataclass
class RealPools:
    """Everything a sample can be drawn from, loaded once (masks cached on disk)."""

    person_cutouts: list[Cutout]
    horse_cutouts: list[Cutout]
    person_crops: list[np.ndarray]
    person_frames: list[np.ndarray]
    horse_photos: list[np.ndarray]
    tiny_negatives: list[np.ndarray]
    crops: CropBank | None = None  # real scenes and their regions (the crop kinds)
    labelled: list[tuple[np.ndarray, int]] = field(default_factory=list)  # the exports' train images and labels

    @classmethod
    def load(cls, images: list[RealImage], cache_dir: str | Path) -> RealPools:
        by_source: dict[str, list[RealImage]] = {}
        for image in images:
            by_source.setdefault(image.source, []).append(image)

        def items(source: str) -> list[LabelledImage]:
            return [LabelledImage(i.path, i.label, source) for i in by_source.get(source, [])]

        people = load_cutouts(items("person/inria_96x160"), cache_dir, rect=INRIA_RECT)
        horses = load_cutouts(items("horse/weizmann"), cache_dir, rect=WEIZMANN_RECT)
        person_crops, horse_photos = [c.rgb for c in people], [c.rgb for c in horses]
        people, horses = _plausible(people, INRIA_RECT), _plausible(horses, WEIZMANN_RECT)
        pools = cls(
            person_cutouts=people,
            horse_cutouts=horses,
            person_crops=person_crops,
            person_frames=[read_rgb(i.path) for s in ("person/street_640x480", "person/misc")
                           for i in by_source.get(s, [])],
            horse_photos=horse_photos + [read_rgb(i.path) for i in by_source.get("horse/misc", [])],
            tiny_negatives=[read_rgb(i.path) for s in ("not_person/cifar10_32px", "not_person/misc")
                            for i in by_source.get(s, [])],
        )
        log.info("real pools: %d person cut-outs, %d horse cut-outs, %d person frames, %d small negatives",
                 len(people), len(horses), len(pools.person_frames), len(pools.tiny_negatives))
        return pools


def _plausible(cutouts: list[Cutout], rect: tuple[float, float, float, float]) -> list[Cutout]:
    """Cut-outs whose GrabCut mask looks like a subject: 15-85 % of its box. A failed mask (nothing, or the
    whole box) would be pasted as a rectangle, and a rectangle must never be what marks a person."""
    box_area = rect[2] * rect[3]
    kept = [c for c in cutouts if 0.15 <= float(np.mean(c.alpha > 0.5)) / box_area <= 0.85]
    log.info("cut-outs with a plausible mask: %d of %d", len(kept), len(cutouts))
    return kept


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def degrade_resolution(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Down to 1/2-1/4 and back: a far, soft camera view. Applied to both classes alike, so softness is no cue."""
    h, w = img.shape[:2]
    factor = rng.uniform(2, 4)
    small = cv2.resize(img, (max(8, int(w / factor)), max(8, int(h / factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def square_crop(img: np.ndarray, rng: np.random.Generator, side: tuple[float, float]) -> np.ndarray:
    """A square of `side` (fraction of the shorter side) anywhere in the image: what one tile shows."""
    h, w = img.shape[:2]
    s = max(8, int(min(h, w) * rng.uniform(*side)))
    y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
    return img[y:y + s, x:x + s]


def fit_canvas(img: np.ndarray, canvas: tuple[int, int]) -> np.ndarray:
    """Resize (not crop) to the canvas: a whole frame squashed, as the product squashes frames and tiles."""
    h, w = canvas
    interpolation = cv2.INTER_AREA if img.shape[0] > h else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=interpolation).astype(np.float32)


class RealMixDataset(Dataset):
    """Each index draws a fresh random sample (label 1 = a person is visible); the epoch length is a setting."""

    def __init__(self, pools: RealPools, cgi: CameraSynthDataset | None, spec: PreprocessSpec, length: int,
                 mix: dict[str, float] | None = None):
        self.pools, self.cgi, self.spec, self.length = pools, cgi, spec, length
        mix = dict(mix or REAL_MIX)
        if cgi is None:
            mix.pop("cgi", None)
            mix.pop("render", None)
        self.kinds = list(mix)
        self.probs = np.asarray([mix[k] for k in self.kinds], dtype=np.float64) / sum(mix.values())
        self.weights: dict[str, np.ndarray] = {}  # pool name -> draw probabilities (mining.mine); uniform if absent
        self._rng: np.random.Generator | None = None

    def __len__(self) -> int:
        return self.length

    @property
    def rng(self) -> np.random.Generator:
        # Created lazily so each DataLoader worker gets its own stream, seeded by Lightning's worker seed.
        if self._rng is None:
            self._rng = np.random.default_rng(torch.initial_seed() % 2**63)
            if self.cgi is not None:
                self.cgi._rng = self._rng
        return self._rng

    def _pick(self, pool: list, name: str | None = None):
        return pool[draw_index(self.rng, len(pool), self.weights.get(name) if name else None)]

    def _background(self, canvas: tuple[int, int]) -> np.ndarray:
        """A scene nobody stands in: procedural (outdoor, indoor, plain), a horse photo, or an upscaled small photo."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.6 or not self.pools.horse_photos:
            return random_scene(rng, *canvas)
        if roll < 0.85:
            return fit_canvas(random_resized_crop(self._pick(self.pools.horse_photos, "horse_photos"), rng, (0.3, 1.0)),
                              canvas)
        return fit_canvas(self._pick(self.pools.tiny_negatives, "tiny_negatives"), canvas)

    def _distractors(self, img: np.ndarray) -> np.ndarray:
        """0-2 things that are not people: a real or CGI horse, or a small photo of an animal or vehicle."""
        rng = self.rng
        for _ in range(int(rng.choice(3, p=[0.4, 0.4, 0.2]))):
            if rng.random() < 0.6 and self.pools.horse_cutouts:
                horses = self.pools.horse_cutouts
                if self.cgi is not None and self.cgi.negatives and rng.random() < 0.3:
                    horses = self.cgi.negatives
                img = self._paste(img, self._pick(horses), (0.15, 0.8), offscreen=0.3)
            else:
                patch = self._pick(self.pools.tiny_negatives)
                alpha = _soft_ellipse(*patch.shape[:2])
                img = self._paste(img, Cutout(patch, alpha, 0), (0.1, 0.4), offscreen=0.2)
        return img

    def _paste(self, img: np.ndarray, cut: Cutout, height: tuple[float, float], offscreen: float) -> np.ndarray:
        rng = self.rng
        h, w = img.shape[:2]
        frac = log_uniform(rng, *height)
        rgb, alpha = _fit_subject(img, cut, rng, (frac, frac))
        th, tw = alpha.shape[:2]
        top = int(rng.uniform(-th * 0.1, max(1, h - th * (1 - offscreen * 0.5))))
        left = int(rng.uniform(-tw * offscreen, max(1, w - tw * (1 - offscreen))))
        return _blend(img, rgb, alpha, top, left, rng)

    def _composite(self, canvas: tuple[int, int], people: int) -> np.ndarray:
        rng = self.rng
        img = self._distractors(self._background(canvas))
        for _ in range(people):
            img = self._paste(img, self._pick(self.pools.person_cutouts), PERSON_HEIGHT, offscreen=0.25)
        if people and rng.random() < 0.25:  # something in front of a person: a horse, a car, a post
            img = self._distractors(img)
        return img

    def make_sample(self, kind: str) -> tuple[np.ndarray, int]:
        rng, pools = self.rng, self.pools
        canvas = CANVASES[int(rng.integers(len(CANVASES)))]
        if kind == "person_crop":
            return random_resized_crop(self._pick(pools.person_crops, "person_crops"), rng, (0.7, 1.0)), 1
        if kind == "person_frame":
            return fit_canvas(random_resized_crop(self._pick(pools.person_frames), rng, (0.5, 1.0)), canvas), 1
        if kind == "horse_photo":
            return random_resized_crop(self._pick(pools.horse_photos, "horse_photos"), rng, (0.3, 1.0)), 0
        if kind == "horse_tile":
            return square_crop(self._pick(pools.horse_photos, "horse_photos"), rng, (0.35, 0.7)), 0
        if kind == "tiny_negative":
            return self._pick(pools.tiny_negatives, "tiny_negatives"), 0
        if kind == "composite":
            return self._composite(canvas, int(rng.choice([1, 2, 3, 4], p=[0.45, 0.25, 0.15, 0.15]))), 1
        if kind == "composite_empty":
            return self._composite(canvas, 0), 0
        if kind in CROP_KINDS:
            return self._crop_sample(kind)
        if kind == "labelled":
            image, label = self._pick(pools.labelled, "labelled")
            return random_resized_crop(image, rng, (0.8, 1.0)), label
        if kind == "edge":
            horses = pools.horse_cutouts + (self.cgi.negatives if self.cgi is not None else [])
            return paste_at_edge(self._background(canvas), self._pick(horses), rng, (0.3, 0.9)), 0
        assert self.cgi is not None
        if kind == "render":  # the CGI close-up: a horse filling the frame must stay a horse at the real threshold
            return self.cgi.make_sample("plain")
        return self.cgi.make_sample(str(rng.choice(self.cgi.kinds, p=self.cgi.probs)))

    def _crop_sample(self, kind: str) -> tuple[np.ndarray, int]:
        rng, bank = self.rng, self.pools.crops
        assert bank is not None, "the crop kinds need a crop bank (RealPools.crops)"
        if kind == "box_person":
            index, box = self._pick(bank.person_boxes, "person_boxes")
            return cut(bank.person_images[index], jitter(box, rng)), 1
        if kind == "scene_proposal":
            image, box = self._pick(bank.negative_regions, "negative_regions")
            return cut(image, jitter(box, rng, 0.08)), 0
        scene = self._pick(bank.scenes, "scenes")
        if kind == "scene_frame":
            return scene, 0
        if kind == "scene_box":
            return cut(scene, random_person_box(rng)), 0
        canvas = np.asarray(scene, np.float32)
        h, w = canvas.shape[:2]
        frac = log_uniform(rng, 0.04, 0.6)
        rgb, alpha = _fit_subject(canvas, self._pick(self.pools.person_cutouts), rng, (frac, frac))
        th, tw = alpha.shape[:2]
        top, left = int(rng.uniform(0, max(1, h - th))), int(rng.uniform(-tw * 0.2, max(1, w - tw * 0.8)))
        canvas = _blend(canvas, rgb, alpha, top, left, rng)
        box = (max(0, left) / w, max(0, top) / h, min(w, left + tw) / w, min(h, top + th) / h)
        return cut(canvas, jitter(box, rng)), 1

    def __getitem__(self, index: int):
        kind = self.kinds[int(self.rng.choice(len(self.kinds), p=self.probs))]
        image, label = self.make_sample(kind)
        if self.rng.random() < 0.2:
            image = degrade_resolution(np.asarray(image, np.float32), self.rng)
        image = camera_augment(image, self.rng)
        x = torch.from_numpy(to_model_input([image], self.spec)[0])
        return x, torch.tensor(float(label))


def _soft_ellipse(h: int, w: int) -> np.ndarray:
    """An alpha mask that fades a rectangular photo into the scene (no hard rectangle edge as a cue)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = ((yy - (h - 1) / 2) / (h / 2)) ** 2 + ((xx - (w - 1) / 2) / (w / 2)) ** 2
    return np.clip((1.0 - d) / 0.35, 0, 1).astype(np.float32)
