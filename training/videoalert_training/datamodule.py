"""Lightning DataModule: camera-like training samples built from the train renders, plain validation images."""
from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from videoalert_inference.preprocess import PreprocessSpec, to_model_input

from .augment import camera_augment, random_resized_crop
from .cutouts import Cutout, load_cutouts
from .data import list_split, read_rgb
from .scenes import paste, paste_at_edge, random_scene, white_backdrop

log = logging.getLogger(__name__)

# How a training sample is made (probabilities). "scene" and "empty" are the camera domain: a subject
# small and anywhere in a 4:3 frame, or no subject at all; "plain" and "white" keep the render domain.
DEFAULT_MIX = {"plain": 0.25, "white": 0.15, "scene": 0.42, "empty": 0.18}
CANVAS = (240, 320)  # 4:3, later squashed to S x S by the one preprocessing definition


def with_edge_negatives(mix: dict[str, float] | None, share: float) -> dict[str, float]:
    """The mix with `share` of all samples turned into "edge" hard negatives, the other kinds scaled down."""
    mix = dict(mix or DEFAULT_MIX)
    if not 0 <= share < 1:
        raise ValueError(f"edge share must be in [0, 1), got {share}")
    if share == 0:
        return mix
    total = sum(mix.values())
    mix = {k: v / total * (1 - share) for k, v in mix.items()}
    mix["edge"] = share
    return mix


def draw_index(rng: np.random.Generator, n: int, weights: np.ndarray | None = None) -> int:
    """An index into n items: uniform, or by `weights` (a mined stage's draw probabilities, mining.py)."""
    return int(rng.choice(n, p=weights)) if weights is not None else int(rng.integers(n))


class CameraSynthDataset(Dataset):
    """Each index draws a fresh random sample; the epoch length is a setting, not the image count."""

    def __init__(self, cutouts: list[Cutout], spec: PreprocessSpec, length: int, mix: dict[str, float] | None = None,
                 partial_share: float = 0.3):
        self.cutouts = cutouts
        self.negatives = [c for c in cutouts if c.label == 0]
        self.partial_share = partial_share
        self.spec = spec
        self.length = length
        mix = mix or DEFAULT_MIX
        self.kinds = list(mix)
        self.probs = np.asarray([mix[k] for k in self.kinds], dtype=np.float64) / sum(mix.values())
        self.weights: np.ndarray | None = None  # draw probabilities over the cut-outs (mining.mine); uniform if None
        self._rng: np.random.Generator | None = None

    def __len__(self) -> int:
        return self.length

    @property
    def rng(self) -> np.random.Generator:
        # Created lazily so each DataLoader worker gets its own stream, seeded by Lightning's worker seed.
        if self._rng is None:
            self._rng = np.random.default_rng(torch.initial_seed() % 2**63)
        return self._rng

    def make_sample(self, kind: str) -> tuple[np.ndarray, int]:
        rng = self.rng
        if kind == "empty":
            return random_scene(rng, *CANVAS), 0
        if kind == "edge" and self.negatives:
            # Hard negative: a horse walking in or out, 10-40 % of it in the frame (see scenes.paste_at_edge).
            # Only negatives: a sliver of a person is no clear label either way, and the person is seen
            # whole in the seconds around it.
            cut = self.negatives[int(rng.integers(len(self.negatives)))]
            return paste_at_edge(random_scene(rng, *CANVAS), cut, rng, (0.3, 0.9)), 0
        cut = self.cutouts[draw_index(rng, len(self.cutouts), self.weights)]
        if kind == "plain":
            return random_resized_crop(cut.rgb, rng), cut.label
        if kind == "white":
            side = CANVAS[0]
            return paste(white_backdrop(rng, side, side), cut, rng, (0.6, 0.98), allow_offscreen=0.1), cut.label
        # Subjects entering or leaving the frame: a horse's legs or head alone must not look like a person.
        offscreen = 0.6 if rng.random() < self.partial_share else 0.3
        return paste(random_scene(rng, *CANVAS), cut, rng, (0.3, 0.9), allow_offscreen=offscreen), cut.label

    def __getitem__(self, index: int):
        kind = self.kinds[int(self.rng.choice(len(self.kinds), p=self.probs))]
        image, label = self.make_sample(kind)
        image = camera_augment(image, self.rng)
        x = torch.from_numpy(to_model_input([image], self.spec)[0])
        return x, torch.tensor(float(label))


class ImageListDataset(Dataset):
    """Plain labelled images, preprocessed exactly as the container will."""

    def __init__(self, images: list[np.ndarray], labels: list[int], spec: PreprocessSpec):
        self.inputs = torch.from_numpy(to_model_input(images, spec))
        self.labels = torch.tensor(labels, dtype=torch.float32)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.inputs[index], self.labels[index]


class PersonDataModule(L.LightningDataModule):
    """Data from any `<root>/{train,validation}/<class>/` folder (see data.POSITIVE_FOLDERS)."""

    def __init__(self, data_dir: str | Path, cache_dir: str | Path, input_size: int = 128, batch_size: int = 32,
                 samples_per_epoch: int = 2048, num_workers: int = 0, limit_train_images: int | None = None,
                 mix: dict[str, float] | None = None, partial_share: float = 0.3, real_dir: str | Path | None = None,
                 real_mix: dict[str, float] | None = None, street_negatives: bool = False,
                 proposal_floor: float | None = None):
        super().__init__()
        self.partial_share = partial_share
        self.real_dir, self.real_mix = (Path(real_dir) if real_dir else None), real_mix
        self.street_negatives, self.proposal_floor = street_negatives, proposal_floor
        self.data_dir, self.cache_dir = Path(data_dir), Path(cache_dir)
        self.spec = PreprocessSpec(input_size=input_size)
        self.batch_size, self.samples_per_epoch, self.num_workers = batch_size, samples_per_epoch, num_workers
        self.limit_train_images, self.mix = limit_train_images, mix

    def setup(self, stage: str | None = None) -> None:
        if getattr(self, "train_set", None) is not None:
            return
        train_items = list_split(self.data_dir, "train")
        if self.limit_train_images:  # keep both classes when a test asks for a tiny subset
            train_items = train_items[: self.limit_train_images // 2] + train_items[-(self.limit_train_images // 2):]
        val_items = list_split(self.data_dir, "validation")
        cgi = CameraSynthDataset(load_cutouts(train_items, self.cache_dir), self.spec, self.samples_per_epoch,
                                 self.mix, self.partial_share)
        val_images, val_labels = [read_rgb(i.path) for i in val_items], [i.label for i in val_items]
        self.train_set = cgi
        if self.real_dir is not None:
            from .crops import default_detector, load_bank, validation_crops
            from .real_data import list_real
            from .realmix import CROP_KINDS, RealMixDataset, RealPools

            real_train = list_real(self.real_dir, "train")
            if self.limit_train_images:
                real_train = real_train[:: max(1, len(real_train) // self.limit_train_images)]
            pools = RealPools.load(real_train, self.cache_dir)
            crop_kinds = any((self.real_mix or {}).get(kind, 0) > 0 for kind in CROP_KINDS)
            detector = default_detector(self.proposal_floor) if crop_kinds else None
            if crop_kinds:
                pools.crops = load_bank(self.real_dir, "train", self.cache_dir.parent, detector,
                                        limit=self.limit_train_images, street_negatives=self.street_negatives)
            self.train_set = RealMixDataset(pools, cgi, self.spec, self.samples_per_epoch, self.real_mix)
            # val_loss (early stopping, best checkpoint) on the real validation split as well as the renders;
            # the 1,500 small CIFAR negatives are thinned to 300 so they do not outweigh the rest.
            real_val = list_real(self.real_dir, "validation")
            tiny = [i for i in real_val if i.source == "not_person/cifar10_32px"]
            real_val = ([i for i in real_val if i.source != "not_person/cifar10_32px"]
                        + tiny[:: max(1, len(tiny) // 300)])
            val_images += [read_rgb(i.path) for i in real_val]
            val_labels += [i.label for i in real_val]
            if crop_kinds:  # the regions the product now scores: person boxes and proposals on empty scenes
                bank = load_bank(self.real_dir, "validation", self.cache_dir.parent, detector,
                                 limit=self.limit_train_images, street_negatives=self.street_negatives)
                crops, labels, _ = validation_crops(bank)
                val_images += crops
                val_labels += labels
        self.val_set = ImageListDataset(val_images, val_labels, self.spec)
        log.info("data: %d train renders%s -> %d samples/epoch, %d validation images", len(train_items),
                 " + real photos" if self.real_dir else "", self.samples_per_epoch, len(val_labels))

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_set, batch_size=self.batch_size, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, drop_last=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_set, batch_size=64, num_workers=0)
