"""The real photos of `shared/data/real/images/`: sources, labels and the agreed train/validation split."""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

# Each source folder (relative to real/images/), its label (1 = person) and whether its images are whole
# camera-like frames (reported apart from crops: a frame holds people at any scale, a crop one framed person).
SOURCES: dict[str, tuple[int, str]] = {
    "person/inria_96x160": (1, "crop"),
    "person/street_640x480": (1, "frame"),
    "person/misc": (1, "frame"),
    "horse/weizmann": (0, "frame"),
    "horse/misc": (0, "frame"),
    "not_person/cifar10_32px": (0, "crop"),
    "not_person/misc": (0, "frame"),
}
# Not used: `unsure/cifar10_horse_32px` (about 1 in 10 shows a rider: no clean label either way).
VALIDATION_PREFIXES = ("0", "1", "2", "3")
# INRIA crops are named <photo><letter>.jpg: a and b are one person and its mirror, c and d the next, ...
_INRIA_CROP = re.compile(r"^(?P<photo>.+?)(?P<letter>[a-z])\.(?:jpg|png)$")


@dataclass(frozen=True)
class RealImage:
    path: Path
    label: int  # 1 = person
    source: str  # folder relative to real/images/
    kind: str  # "crop" or "frame"
    sha256: str


def is_validation(sha256: str) -> bool:
    """The data README's split: a file whose sha256 starts with 0-3 is held out."""
    return sha256[:1].lower() in VALIDATION_PREFIXES


def _pair_keys(names: list[str]) -> dict[str, str]:
    """One person and its mirror share a key. A photo's crops come in letter order, each person then its
    mirror (a/b, c/d, ...); pairs are taken by rank, not by letter, because a letter can be missing
    (person_and_bike_011 has a, b, d, e: d and e are mirror images of each other)."""
    by_photo: dict[str, list[str]] = {}
    keys = {}
    for name in names:
        match = _INRIA_CROP.match(name)
        if match:
            by_photo.setdefault(match.group("photo"), []).append(name)
        else:
            keys[name] = name
    for photo, crops in by_photo.items():
        for rank, name in enumerate(sorted(crops)):
            keys[name] = f"{photo}#{rank // 2}"
    return keys


def list_real(root: str | Path, split: str, sources: dict[str, tuple[int, str]] | None = None) -> list[RealImage]:
    """Every listed image of `split` ("train" or "validation"), sorted; each SOURCES.csv's sha256 is checked.

    Validation is the data README's split exactly: a file whose sha256 starts with 0-3, and an INRIA crop's
    mirror with it (`...a.jpg`/`...b.jpg`, `...c.jpg`/`...d.jpg`, ...), so no person is on both sides. Other
    people cut from the same photo may be (the README's rule; keeping them out too would leave half the
    training crops, measured: 624 instead of 1,317).
    """
    if split not in ("train", "validation"):
        raise ValueError(f"split must be train or validation, got {split!r}")
    root = Path(root)
    images: list[RealImage] = []
    for folder, (label, kind) in (sources or SOURCES).items():
        sources_csv = root / folder / "SOURCES.csv"
        if not sources_csv.is_file():
            raise FileNotFoundError(f"{sources_csv} is missing: expected shared/data/real/images/ (see its README)")
        with sources_csv.open(newline="") as handle:
            rows = [(row["file"], row["sha256"]) for row in csv.DictReader(handle)]
        pair = _pair_keys([name for name, _ in rows])
        held_out_pairs = {pair[name] for name, digest in rows if is_validation(digest)}
        for name, digest in sorted(rows):
            held_out = pair[name] in held_out_pairs
            if held_out != (split == "validation"):
                continue
            images.append(RealImage(root / folder / name, label, folder, kind, digest))
    return images


def verify(images: list[RealImage]) -> None:
    """Raise if a file's bytes do not match the sha256 its SOURCES.csv records."""
    for image in images:
        actual = hashlib.sha256(image.path.read_bytes()).hexdigest()
        if actual != image.sha256:
            raise ValueError(f"{image.path}: sha256 {actual} does not match SOURCES.csv ({image.sha256})")


def sources_digest(images: list[RealImage]) -> str:
    """One sha256 over the sorted (source/file, sha256) pairs: names the exact real images used."""
    digest = hashlib.sha256()
    for image in sorted(images, key=lambda i: (i.source, i.path.name)):
        digest.update(f"{image.source}/{image.path.name}\0{image.sha256}\n".encode())
    return digest.hexdigest()
