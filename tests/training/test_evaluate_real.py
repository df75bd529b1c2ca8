"""make eval: still photos as camera clips, the localized match, the rates, and one small run end to end."""
from __future__ import annotations

import io
import json
import math
from types import SimpleNamespace

import av
import numpy as np
import pytest

from videoalert_training.box_match import covered, iou, localizes, people_found
from videoalert_training.clip_measures import Rate, best_per_frame, boxes_over, frames_over, precision
from videoalert_training.person_boxes import height_bucket
from videoalert_training.still_clips import NOISE, PAN, VARIANTS, static_clip, still_clip, variant_of

SHA_A = "0123456789abcdef" * 4


def scene(height: int = 121, width: int = 161) -> np.ndarray:
    """A textured RGB picture (odd size on purpose: clips need even dimensions)."""
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([(xx * 3) % 256, (yy * 5) % 256, ((xx + yy) * 2) % 256], axis=-1).astype(np.uint8)


def decode(clip: bytes) -> tuple[list[np.ndarray], float]:
    with av.open(io.BytesIO(clip)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        rate = float(stream.average_rate)
    return frames, rate


def sha_for(variant: str) -> str:
    return next(s for s in (f"{i:08x}" * 8 for i in range(64)) if variant_of(s) == variant)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_still_becomes_a_12_s_clip_at_10_fps_with_even_dimensions_that_pyav_decodes(variant):
    frames, rate = decode(still_clip(scene(), SHA_A, variant=variant))
    assert len(frames) == 120 and rate == 10
    assert frames[0].shape == (120, 160, 3)
    # And it still shows the picture (close to the still, up to compression, noise and the pan)
    assert np.abs(frames[0].astype(float) - scene()[:120, :160]).mean() < 40


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_changes_from_frame_to_frame(variant):
    frames, _ = decode(still_clip(scene(), SHA_A, variant=variant))
    # The last frame differs from the first (the pan moved, or the brightness drifted), and so do neighbours
    assert np.abs(frames[-1].astype(float) - frames[0]).mean() > 1.0
    assert sum(not np.array_equal(a, b) for a, b in zip(frames, frames[1:], strict=False)) > 100


def test_the_variant_and_the_bytes_are_fixed_per_image_and_both_variants_occur():
    assert still_clip(scene(), SHA_A) == still_clip(scene(), SHA_A)
    assert variant_of(SHA_A) == variant_of(SHA_A)
    assert {variant_of(f"{i:08x}" * 8) for i in range(40)} == set(VARIANTS)
    assert still_clip(scene(), sha_for(PAN)) != still_clip(scene(), sha_for(NOISE))
    with pytest.raises(ValueError):
        still_clip(scene(), SHA_A, variant="zoom")


def test_a_static_clip_keeps_the_picture_where_it_is():
    frames, rate = decode(static_clip(scene(), seconds=1.0))
    assert len(frames) == 10 and rate == 10
    assert np.abs(frames[5].astype(float) - scene()[:120, :160]).mean() < 8


def test_height_buckets_are_the_issues_size_classes():
    assert [height_bucket(h) for h in (0.05, 0.0999, 0.10, 0.25, 0.2501, 0.9)] == [
        "under_10pct", "under_10pct", "10_25pct", "10_25pct", "over_25pct", "over_25pct"]


def test_a_region_localizes_a_person_by_iou_or_by_covering_most_of_the_box():
    person = (0.40, 0.40, 0.50, 0.70)
    assert iou(person, person) == pytest.approx(1.0)
    assert localizes((0.42, 0.45, 0.52, 0.72), person)  # IoU ~0.6
    # A region much bigger than the person: IoU small, but it covers all of the person
    big = (0.2, 0.2, 0.9, 0.9)
    assert iou(big, person) < 0.3 and covered(person, big) == pytest.approx(1.0) and localizes(big, person)
    # A region of the person's size shifted by 70 % of its width: IoU 0.18, 30 % covered, neither
    aside = (0.47, 0.40, 0.57, 0.70)
    assert iou(aside, person) < 0.3 and covered(person, aside) == pytest.approx(0.3) and not localizes(aside, person)
    # Shifted by half its width: IoU 1/3, localized
    assert localizes((0.45, 0.40, 0.55, 0.70), person)
    assert not localizes((0.0, 0.0, 0.1, 0.1), person)
    # A whole-frame entry (no box) covers everyone
    assert localizes(None, person)
    assert people_found([person, (0.0, 0.0, 0.05, 0.1)], [(0.41, 0.41, 0.5, 0.7)]) == [True, False]
    assert people_found([person], []) == [False]


def test_a_frames_score_is_its_best_region_and_rates_add_up():
    entries = [SimpleNamespace(t=0.0, score=0.2, box=None), SimpleNamespace(t=0.0, score=0.9, box=[0, 0, .5, .5]),
               SimpleNamespace(t=1.0, score=0.0, box=None), SimpleNamespace(t=2.0, score=0.8, box=[.5, .5, 1, 1])]
    assert best_per_frame(entries) == {0.0: 0.9, 1.0: 0.0, 2.0: 0.8}
    assert frames_over(entries, 0.75) == (2, 3)
    assert boxes_over(entries, 0.85) == [[0, 0, .5, .5]]
    total = Rate(1, 4) + Rate(2, 4)
    assert (total.hits, total.total, total.value) == (3, 8, 0.375)
    assert math.isnan(Rate(0, 0).value) and Rate(0, 0).to_json()["rate"] is None
    assert precision(9, 1).value == pytest.approx(0.9) and math.isnan(precision(0, 0).value)


@pytest.mark.slow
def test_make_eval_runs_end_to_end_on_two_items_per_source(released_model_dir, real_root, tmp_path, capsys):
    from videoalert_training.evaluate_real import BOXED_PERSON_SCENES, NO_PERSON_SCENES, main

    out = tmp_path / "eval.json"
    data = real_root.parent.parent
    assert main(["--model-dir", str(released_model_dir), "--data", str(data), "--regions", "full",
                 "--limit", "2", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert "1. No-person scenes" in printed and "videos as expected" in printed and "run time" in printed
    assert set(report["no_person_scenes"]) == set(NO_PERSON_SCENES)
    assert all(r["clips"] == 2 and r["frames_over_threshold"]["total"] == 24
               for r in report["no_person_scenes"].values())
    assert set(report["person_boxed"]) == set(BOXED_PERSON_SCENES)
    assert report["person_boxed_total"]["recall"]["total"] == 4
    assert report["person_crops"]["person/inria_96x160"]["recall"]["total"] == 2
    assert len(report["videos"]) == 4 and report["regions"] == "full"
    assert report["timings_s"]["total"] > 0


@pytest.mark.slow
def test_make_eval_on_the_default_regions_uses_the_detector_and_a_cadence_cycle_per_person_still(
        released_model_dir, real_root):
    from videoalert_training.evaluate_real import evaluate

    report = evaluate(released_model_dir, real_root.parent.parent, None, limit=1, workers=1)
    assert report["regions"] == "detect" and report["detector_version"]
    # A person still is one cycle of the detector's tile search: that many frames, each scored
    cycle = report["clip_path"]["settings"]["detect_tile_every"]
    assert report["person_crops"]["person/inria_96x160"]["recall"]["total"] == cycle
    assert report["no_person_scenes"]["not_person/houses_frontal"]["frames_over_threshold"]["total"] == 12
