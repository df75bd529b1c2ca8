"""The detector sees each view contrast-stretched: people at dusk are proposed as they are by day."""
from __future__ import annotations

import numpy as np
import pytest

from fixtures.media import CLIPS_DIR, REPO_MODELS
from videoalert_inference.detector import DetectorSettings, load_detector
from videoalert_inference.frames import FrameSampler

REAL_VIDEOS = CLIPS_DIR.parent / "real" / "videos"


@pytest.fixture(scope="module")
def dusk_frames() -> list[np.ndarray]:
    """The first 8 sampled seconds of three real person videos, at a quarter of their light (dusk)."""
    out = []
    for name in ("example_02.mp4", "example_03.mp4", "example_05.mp4"):
        path = REAL_VIDEOS / name
        if not path.exists():
            pytest.fail(f"shared video {path} not found: put ../shared beside the clone (see README)")
        frames = list(FrameSampler(1.0, 8, resize_to=300).sample(path.read_bytes()))
        out += [(f.image.astype(np.float32) * 0.25 + 8).astype(np.uint8) for f in frames]
    return out


def best_scores(detector, images: list[np.ndarray]) -> np.ndarray:
    return np.asarray([max((d.score for d in found), default=0.0) for found in detector.detect(np.stack(images))])


def test_people_at_dusk_are_proposed_with_more_confidence_in_stretched_views(dusk_frames):
    # Given the served detector (views stretched, the default) and the same detector seeing views as decoded
    stretched = load_detector(REPO_MODELS, intra_op_threads=1)
    plain = load_detector(REPO_MODELS, intra_op_threads=1, settings=DetectorSettings(stretch=False))
    assert stretched.settings.stretch
    # When both look at 24 dusk frames with people in them
    with_stretch, without = best_scores(stretched, dusk_frames), best_scores(plain, dusk_frames)
    # Then the stretched views give the person a clearly higher score on average, and more frames over 0.5
    assert with_stretch.mean() > without.mean() + 0.1
    assert (with_stretch >= 0.5).sum() > (without >= 0.5).sum()


def test_a_flat_view_is_not_blown_up_into_noise():
    # Given a uniform grey view with faint sensor noise (a wall, a night sky)
    rng = np.random.default_rng(0)
    flat = np.clip(rng.normal(60, 1.0, (1, 300, 300, 3)), 0, 255).astype(np.uint8)
    # Then the stretch is capped, and the detector proposes nothing in it
    assert load_detector(REPO_MODELS, intra_op_threads=1).detect(flat) == [[]]
