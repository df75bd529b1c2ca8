"""Fitting detect mode's combination of the ResNet's and the detector's scores from region dumps."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from videoalert_inference.region_score import RegionScore
from videoalert_training.region_fusion import clip_figures, fit, main, operating_offset, region_rows

THRESHOLD = 0.72


def scene(name: str, resnet: float, detector: float, frames: int = 12) -> dict:
    return {"source": "not_person/houses_frontal", "file": name, "label": 0, "kind": "scene", "people": None,
            "entries": [[float(t), [0.4, 0.4, 0.5, 0.6], detector, resnet] for t in range(frames)]}


def person(name: str, resnet: float, detector: float, height: float = 0.3) -> dict:
    box = [0.2, 0.2, 0.3, 0.2 + height]
    return {"source": "person/coco128", "file": name, "label": 1, "kind": "person", "people": [box],
            "entries": [[float(t), box, detector, resnet] for t in range(4)]}


def dump(rng: np.random.Generator) -> list[dict]:
    """Empty scenes whose proposals the ResNet sometimes likes but the detector barely sees, and people the ResNet
    undersells where the detector is sure (close-ups), as in the real dumps."""
    items = [scene(f"s{i}", float(rng.uniform(0.0, 0.9)), float(rng.uniform(0.07, 0.3))) for i in range(60)]
    items += [person(f"p{i}", float(rng.uniform(0.75, 1.0)), float(rng.uniform(0.1, 0.9))) for i in range(40)]
    items += [person(f"c{i}", float(rng.uniform(0.2, 0.6)), float(rng.uniform(0.93, 0.99)), 0.8) for i in range(10)]
    return items


def test_a_region_off_every_labelled_person_is_left_out_of_the_fit():
    item = person("p", 0.9, 0.5)
    item["entries"].append([0.0, [0.8, 0.8, 0.9, 0.95], 0.2, 0.1])  # beside the person: label maps miss people
    rows, labels = region_rows([item, scene("s", 0.3, 0.1, frames=2)])
    assert labels.tolist() == [1, 1, 1, 1, 0, 0] and rows.shape == (6, 3)


def test_the_fit_trusts_a_sure_detector_where_the_resnet_undersells_and_keeps_the_recall_asked():
    items = dump(np.random.default_rng(0))
    weights, intercept = fit(*region_rows(items), THRESHOLD)
    assert weights[0] > 0 and weights[1] > 0  # both models' scores count for a person
    rows, labels = region_rows(items)
    fitted = RegionScore(*weights, operating_offset(rows, labels, weights, intercept, THRESHOLD, 0.95))
    scores = fitted.scores(rows[:, 0], rows[:, 1], rows[:, 2], THRESHOLD)
    assert np.mean(scores[labels == 1] >= THRESHOLD) >= 0.95
    figures = clip_figures(items, lambda r, d, h: fitted.scores(r, d, h, THRESHOLD), THRESHOLD)
    # the close-ups the ResNet alone misses are found, and few empty scenes alert
    assert figures["person_frames"]["over_25pct"]["rate"] >= 0.9
    assert figures["scenes"]["alerting"] <= 6


def test_the_command_writes_the_block_the_inference_reads(tmp_path: Path):
    items = dump(np.random.default_rng(1))
    fit_dump, choose_dump = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    fit_dump.write_text("".join(json.dumps(i) + "\n" for i in items))
    choose_dump.write_text("".join(json.dumps(i) + "\n" for i in dump(np.random.default_rng(2))))
    card = tmp_path / "model_card.json"
    card.write_text(json.dumps({"thresholds": {"int8": {"threshold": THRESHOLD}}}))
    detector_card = Path(__file__).resolve().parents[2] / "models" / "detector_card.json"
    assert main(["--fit", str(fit_dump), "--choose", str(choose_dump), "--card", str(card), "--write",
                 "--detector-card", str(detector_card)]) == 0
    written = json.loads(card.read_text())
    fitted = RegionScore.from_card(written)
    assert fitted is not None and fitted.resnet > 0
    assert written["region_score"]["fitted_on"]["dump"] == "train.jsonl"
    assert fitted.detector_version == written["region_score"]["detector_version"] == "person_detector-397e5f14"
