"""Whole frames whose picture has not changed since the last frame the model scored take that frame's score: the
model runs only where something changed, and every sampled second still has its score."""
from __future__ import annotations

import pytest

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from videoalert_inference.scoring import ScoringRequest, score_clip


def red_between(start: float, end: float):
    return lambda t: RED if start <= t < end else BLUE


@pytest.fixture
def counted(tiny_classifier, monkeypatch):
    """The tiny classifier, counting the images it scores."""
    seen = []
    predict = tiny_classifier.predict_batch

    def counting(batch):
        seen.append(len(batch))
        return predict(batch)

    monkeypatch.setattr(tiny_classifier, "predict_batch", counting)
    return tiny_classifier, seen


def test_unchanged_frames_take_the_last_scored_frames_score_and_changes_are_scored(counted):
    classifier, seen = counted
    # Given a 12 s clip, blue but red (a person for the tiny model) from 5 s to 8 s
    data = encode_clip(cfr_times(12, 10), red_between(5, 8), gop=25, b_frames=2)
    exact = score_clip(data, classifier, ScoringRequest(regions="full", batch_size=4))
    seen.clear()
    # When it is scored with the change gate
    gated = score_clip(data, classifier, ScoringRequest(regions="full", batch_size=4, score_change_level=8.0))
    # Then every second has a score, the same as scoring every frame would give within sensor noise
    assert [f.t for f in gated.frames] == [f.t for f in exact.frames] == [float(s) for s in range(12)]
    assert [f.t for f in gated.frames if f.score > 0.9] == [5.0, 6.0, 7.0]
    assert max(abs(a.score - b.score) for a, b in zip(gated.frames, exact.frames, strict=True)) < 0.05
    # but the model looked only at the frames where the picture changed: 0 s, 5 s (red) and 8 s (blue again)
    assert sum(seen) == 3
    # and the frames that took a score take its embedding too: the person's seconds lead the top embeddings as when
    # every frame is scored, and there are as many
    assert len(gated.top_embeddings) == len(exact.top_embeddings)
    assert {e.t for e in gated.top_embeddings[:3]} == {e.t for e in exact.top_embeddings[:3]} == {5.0, 6.0, 7.0}


def test_without_the_gate_or_with_other_regions_every_frame_is_scored(counted):
    classifier, seen = counted
    data = encode_clip(cfr_times(6, 10), lambda t: BLUE, gop=25)
    whole = score_clip(data, classifier, ScoringRequest(regions="full"))
    assert sum(seen) == len(whole.frames) > 1
    seen.clear()
    # (tiles: each frame whole and its tiles, every one scored)
    tiles = score_clip(data, classifier, ScoringRequest(regions="tiles", score_change_level=8.0))
    assert sum(seen) == len(tiles.frames) > len(whole.frames)
