"""Fixtures for the training tests: the real horse-or-human images, a tiny copy of them, the released model."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("VIDEOALERT_SHARED_DATA", REPO.parent / "shared" / "data")) / "horse-or-human"
MODELS = REPO / "models"


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
