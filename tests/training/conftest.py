"""Fixtures for the training tests: the horse-or-human renders, the real photos, tiny copies of both, the released
model."""
from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("VIDEOALERT_SHARED_DATA", REPO.parent / "shared" / "data")) / "horse-or-human"
MODELS = REPO / "models"
REAL = DATA.parent / "real" / "images"


@pytest.fixture(scope="session")
def horse_or_human() -> Path:
    if not (DATA / "validation").is_dir():
        pytest.fail(f"horse-or-human data not found at {DATA}; set VIDEOALERT_SHARED_DATA to the folder holding it")
    return DATA


@pytest.fixture(scope="session")
def tiny_dataset(horse_or_human, tmp_path_factory) -> Path:
    """A few real images per class in the general <root>/<split>/<class>/ layout."""
    root = tmp_path_factory.mktemp("tiny-horse-or-human")
    for split, per_class in (("train", 6), ("validation", 4)):
        for folder in ("horses", "humans"):
            src = sorted((horse_or_human / split / folder).iterdir())
            dst = root / split / folder
            dst.mkdir(parents=True)
            for path in src[:: max(1, len(src) // per_class)][:per_class]:
                shutil.copy(path, dst / path.name)
    return root


@pytest.fixture(scope="session")
def released_model_dir() -> Path:
    if not (MODELS / "model_card.json").is_file():
        pytest.fail(f"no released model in {MODELS}: run `make train` or restore models/ from git")
    return MODELS


@pytest.fixture(scope="session")
def validation_images(horse_or_human):
    """Evenly spaced across the sorted folder, so the choice is fixed and not hand-picked."""

    def pick(folder: str, count: int) -> list[Path]:
        files = sorted((horse_or_human / "validation" / folder).iterdir())
        return files[:: len(files) // count][:count]

    return pick


@pytest.fixture(scope="session")
def real_root() -> Path:
    if not (REAL / "person" / "inria_96x160" / "SOURCES.csv").is_file():
        pytest.fail(f"real images not found at {REAL}; set VIDEOALERT_SHARED_DATA to the folder holding real/")
    return REAL


@pytest.fixture(scope="session")
def tiny_real(real_root, tmp_path_factory) -> Path:
    """A few images of every source, train and validation, with their SOURCES.csv rows (and the boxed sources'
    annotations beside, as in shared/data/real/): the classic sources and the crop kinds' scenes and boxed people."""
    from videoalert_training.crops import BOXED_PERSON_SOURCES, DETECTED_PERSON_SOURCES, SCENE_SOURCES
    from videoalert_training.person_boxes import annotation_path
    from videoalert_training.real_data import SOURCES, is_validation

    root = tmp_path_factory.mktemp("tiny-real") / "images"
    for folder in {**SOURCES, **SCENE_SOURCES, **BOXED_PERSON_SOURCES, **DETECTED_PERSON_SOURCES}:
        with open(real_root / folder / "SOURCES.csv", newline="") as handle:
            reader = csv.DictReader(handle)
            rows, fields = list(reader), reader.fieldnames
        keep = ([r for r in rows if is_validation(r["sha256"])][:3]
                + [r for r in rows if not is_validation(r["sha256"])][:6])
        (root / folder).mkdir(parents=True)
        with open(root / folder / "SOURCES.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fields)
            writer.writeheader()
            writer.writerows(keep)
        for row in keep:
            shutil.copy(real_root / folder / row["file"], root / folder / row["file"])
            annotation = annotation_path(real_root, folder, row["file"])
            if annotation is not None:
                target = root.parent / annotation.relative_to(real_root.parent)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(annotation, target)
    return root
