"""Find labelled images in a `<root>/<split>/<class>/` tree; the `humans` folder is the positive class."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# Positive-class convention: a folder named `humans` (or `person`/`persons`/`people`) holds label 1 ("person");
# every other class folder (horses, empty, relabelled false positives...) is label 0 ("not_person").
POSITIVE_FOLDERS = frozenset({"humans", "human", "person", "persons", "people"})
CLASSES = ("not_person", "person")
POSITIVE_CLASS = "person"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: int  # 1 = person
    folder: str


def list_split(root: str | Path, split: str) -> list[LabelledImage]:
    """Every image under root/split/<class>/, sorted so that runs are reproducible."""
    split_dir = Path(root) / split
    if not split_dir.is_dir():
        raise FileNotFoundError(f"no {split}/ folder under {root}: expected <root>/{{train,validation}}/<class>/")
    items = []
    for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
        label = int(class_dir.name.lower() in POSITIVE_FOLDERS)
        for path in sorted(class_dir.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                items.append(LabelledImage(path=path, label=label, folder=class_dir.name))
    if not items:
        raise FileNotFoundError(f"no images under {split_dir}")
    if len({i.label for i in items}) < 2:
        raise ValueError(f"{split_dir} needs a positive folder ({sorted(POSITIVE_FOLDERS)}) and at least one other")
    return items


def read_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file to RGB uint8; raise a clear error for an unreadable file."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def folder_sha256(root: str | Path) -> str:
    """sha256 over the sorted relative file list and every file's bytes: names the exact training data."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
