"""The released model in models/ on the real developer clips: a person scores higher than an empty scene."""
from __future__ import annotations

import pytest

from fixtures.media import REPO_MODELS
from videoalert_inference.model import CARD_FILE, MODEL_FILE, load_classifier
from videoalert_inference.scoring import score_clip


@pytest.fixture(scope="module")
def released_classifier():
    if not (REPO_MODELS / MODEL_FILE).exists() or not (REPO_MODELS / CARD_FILE).exists():
        pytest.fail(f"no released model in {REPO_MODELS}: run `make train` or restore models/ from git")
    return load_classifier(REPO_MODELS)


def test_a_person_clip_scores_higher_than_an_empty_clip(released_classifier, real_clip):
    # Given the released model, a clip with a person and a clip of an empty scene
    human = score_clip(real_clip("human_01.mp4"), released_classifier, sample_fps=1.0)
    empty = score_clip(real_clip("empty_01.mp4"), released_classifier, sample_fps=1.0)
    # When both are scored at 1 fps
    # Then the person clip's best frame scores higher than any frame of the empty clip
    assert len(human.frames) == len(empty.frames) == 60
    assert human.max_score > empty.max_score
