"""The clips of the learning-curve benchmark: real no-person scenes as a fixed camera sees them at other moments, and
the same scenes with a real person pasted in.

"The same camera later" is the scene's still through another small crop (the camera settled a little differently),
another light (gain and gamma) and a clip of its own (still_clips: a slow pan/zoom or sensor noise with a drift).
A person clip is the scene with one INRIA cut-out person pasted at a camera-like size (20-50 % of the frame's
height), anywhere, beside the region the user labelled, or in front of it, then made a clip the same way. Every
clip is a pure function of its scene image and its index: the same bytes on every run.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videoalert_training.cutouts import Cutout, load_cutouts
from videoalert_training.data import LabelledImage, read_rgb
from videoalert_training.evaluate_real import HORSES, NO_PERSON_SCENES
from videoalert_training.real_data import RealImage, list_real
from videoalert_training.realmix import INRIA_RECT, _plausible
from videoalert_training.scenes import _blend, _fit_subject
from videoalert_training.still_clips import still_clip

# A 6 s clip at 5 fps is sampled 12 times like any short clip (the contract's min_samples): a quarter of the encoding of
# make eval's 12 s at 10 fps, for the same samples.
CLIP_SECONDS = 6.0
CLIP_FPS = 5
PERSON_HEIGHT = (0.2, 0.5)  # of the frame: a person at a camera's usual distance
MAX_CROP = 0.1  # a later view keeps 90-100 % of the still's side
# INRIA people of the split pasted into the person clips: the first by name (GrabCut is slow here). Both the replay
# (memory_options) and the handlers' run (memory_learning) paste from this list: a person clip is drawn from it by
# index, so another length pastes other people and the two benches would judge different clips.
PEOPLE = 600


def models_tag(model_dir: Path) -> str:
    """The scored-clip caches' key for the models under test: their cards (versions, thresholds, the detect mode's
    region-score fit), so another model or score combination never reuses another's answers."""
    cards = b"".join((model_dir / name).read_bytes() for name in ("model_card.json", "detector_card.json")
                     if (model_dir / name).exists())
    return hashlib.sha256(cards).hexdigest()[:10]
GAIN, GAMMA = (0.8, 1.2), (0.85, 1.15)
ANYWHERE, BESIDE, IN_FRONT = "anywhere", "beside", "in_front"

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Scene:
    image: RealImage

    @property
    def name(self) -> str:
        return f"{self.image.source}/{self.image.path.name}"

    def rgb(self) -> np.ndarray:
        return read_rgb(self.image.path)


def scenes(real_root: Path, split: str, limit: int | None = None) -> list[Scene]:
    """Every person-free scene photo of the split (the make eval scene folders and the horse photos)."""
    sources = dict.fromkeys((*NO_PERSON_SCENES, *HORSES), (0, "frame"))
    found = [Scene(image) for image in list_real(real_root, split, sources)]
    # Spread a limited run over every folder rather than the first folders only.
    found.sort(key=lambda s: hashlib.sha256(s.image.sha256.encode()).hexdigest())
    return found[:limit] if limit else found


def people(real_root: Path, split: str, cache: Path, limit: int | None = None) -> list[Cutout]:
    """INRIA people of the split (the first `limit` of them by name, if given), cut out (GrabCut, cached), those with a
    plausible mask."""
    images = list_real(real_root, split, {"person/inria_96x160": (1, "crop")})[:limit]
    items = [LabelledImage(i.path, 1, i.source) for i in images]
    return _plausible(load_cutouts(items, cache, rect=INRIA_RECT), INRIA_RECT)


def _seed(scene: Scene, kind: str, index: int) -> str:
    return hashlib.sha256(f"{scene.image.sha256}/{kind}/{index}".encode()).hexdigest()


def later_view(image: np.ndarray, seed: str) -> np.ndarray:
    """The still as the camera sees it at another moment: another small crop, another light (same size)."""
    rng = np.random.default_rng(int(seed[:16], 16))
    height, width = image.shape[:2]
    side = 1.0 - rng.uniform(0.0, MAX_CROP)
    crop_w, crop_h = int(width * side), int(height * side)
    x0, y0 = int(rng.integers(0, width - crop_w + 1)), int(rng.integers(0, height - crop_h + 1))
    view = cv2.resize(image[y0:y0 + crop_h, x0:x0 + crop_w], (width, height), interpolation=cv2.INTER_LINEAR)
    light = 255.0 * (view.astype(np.float32) / 255.0) ** rng.uniform(*GAMMA) * rng.uniform(*GAIN)
    return np.clip(light, 0, 255).astype(np.uint8)


def scene_clip(scene: Scene, kind: str, index: int) -> bytes:
    """Clip `index` of the scene without anyone in it (kind "tap" or "later": separate series of moments)."""
    seed = _seed(scene, kind, index)
    return still_clip(later_view(scene.rgb(), seed), seed, seconds=CLIP_SECONDS, fps=CLIP_FPS)


def person_clip(scene: Scene, cutouts: list[Cutout], index: int, where: str, near: Box | None = None) -> bytes:
    """Clip `index` of the scene with a person in it: anywhere, beside the box `near` or in front of it."""
    return person_composite(scene, cutouts, index, where, near)[0]


def person_composite(scene: Scene, cutouts: list[Cutout], index: int, where: str,
                     near: Box | None = None) -> tuple[bytes, Box]:
    """person_clip's clip and where the pasted person is in the still (fractions; the view moves it slightly)."""
    seed = _seed(scene, f"person-{where}", index)
    rng = np.random.default_rng(int(seed[16:32], 16))
    image = scene.rgb().astype(np.float32)
    height, width = image.shape[:2]
    cutout = cutouts[int(rng.integers(len(cutouts)))]
    rgb, alpha = _fit_subject(image, cutout, rng, PERSON_HEIGHT)
    person_h, person_w = alpha.shape[:2]
    if near is None or where == ANYWHERE:
        left = int(rng.uniform(0, max(1, width - person_w)))
        top = int(rng.uniform(0, max(1, height - person_h)))
    else:
        x0, x1, y1 = near[0] * width, near[2] * width, near[3] * height
        if where == IN_FRONT:
            left = int((x0 + x1) / 2 - person_w / 2)
        else:  # beside: touching the box on its roomier side
            left = int(x1) if width - x1 >= x0 else int(x0) - person_w
        top = int(min(max(0.0, y1 - person_h), height - person_h))  # standing on the region's ground line
        left = int(min(max(0, left), width - person_w))
    pasted = _blend(image, rgb, alpha, top, left, rng)
    composite = np.clip(pasted, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(alpha > 0.5)
    box = ((left + xs.min()) / width, (top + ys.min()) / height, (left + xs.max() + 1) / width,
           (top + ys.max() + 1) / height) if len(ys) else (left / width, top / height, (left + person_w) / width,
                                                          (top + person_h) / height)
    clipped = (max(0.0, box[0]), max(0.0, box[1]), min(1.0, box[2]), min(1.0, box[3]))
    return still_clip(later_view(composite, seed), seed, seconds=CLIP_SECONDS, fps=CLIP_FPS), clipped
