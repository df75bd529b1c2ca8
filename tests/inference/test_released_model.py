"""The released model in models/ on the real developer clips: a person scores higher than an empty scene."""
from __future__ import annotations

import pytest

from fixtures.media import REPO_MODELS
from videoalert_inference.detector import load_detector
from videoalert_inference.model import CARD_FILE, MODEL_FILE, load_classifier
from videoalert_inference.scoring import ScoringRequest, score_clip


@pytest.fixture(scope="module")
def released_classifier():
    if not (REPO_MODELS / MODEL_FILE).exists() or not (REPO_MODELS / CARD_FILE).exists():
        pytest.fail(f"no released model in {REPO_MODELS}: run `make train` or restore models/ from git")
    return load_classifier(REPO_MODELS)


@pytest.mark.parametrize("regions", ["detect", "full"])
def test_a_person_clip_scores_higher_than_an_empty_clip(released_classifier, real_clip, regions):
    # Given the released model (and the detector proposing its crops), a clip with a person and one of an empty scene
    detector = load_detector(REPO_MODELS)
    # When both are scored at 1 fps, by person proposals (the default) or whole frames
    human, empty = (score_clip(real_clip(name), released_classifier, ScoringRequest(sample_fps=1.0, regions=regions),
                               detector=detector) for name in ("human_01.mp4", "empty_01.mp4"))
    # Then every sampled moment is in each timeline, and the person clip's best entry scores higher than any of the
    # empty clip's
    assert len({f.t for f in human.frames}) == len({f.t for f in empty.frames}) == 60
    assert human.max_score > empty.max_score


def test_the_amx_encoding_of_the_released_int8_file_scores_exactly_like_it(real_clip):
    import hashlib
    import json

    import numpy as np
    # Given the release's card, which lists an AMX encoding of the int8 file with its checksum
    card = json.loads((REPO_MODELS / CARD_FILE).read_text())
    entry = card["encodings"]["int8"]["amx"]
    assert hashlib.sha256((REPO_MODELS / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    plain = load_classifier(REPO_MODELS, card["files"]["int8"], encoding="plain")
    amx = load_classifier(REPO_MODELS, card["files"]["int8"], encoding="amx")
    # When a person clip and a horse clip are scored with each (on AMX kernels where this CPU has them)
    for clip in ("human_01.mp4", "horse_02.mp4"):
        a, b = (score_clip(real_clip(clip), c, ScoringRequest(sample_fps=1.0, regions="full")) for c in (plain, amx))
        # Then every frame's score and the top embeddings are bit-identical, under the same version and threshold
        assert [f.score for f in a.frames] == [f.score for f in b.frames] and len(a.frames) == 60
        assert all(
            np.array_equal(x.embedding, y.embedding) for x, y in zip(a.top_embeddings, b.top_embeddings, strict=True)
        )
    assert (amx.version, amx.threshold) == (plain.version, plain.threshold)
    assert (plain.encoding, amx.encoding) == ("plain", "amx")
