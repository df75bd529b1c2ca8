"""How detect mode weighs the ResNet's verdict on a crop with the detector's score and the box's height: fitted on
real region crops, its operating point chosen on the validation split, written into the model card.

`python -m videoalert_training.region_fusion --fit training/runs/regions/train.jsonl
--choose training/runs/regions/validation.jsonl --card models/model_card.json [--write]`

The dumps are `region_dump`'s: every region the product's detect path scored on real stills made into clips, with
the ResNet's own score and the detector's. A region is a person (1) when it localizes a labelled person of a boxed
photo (box_match.localizes) or belongs to a person photo without boxes (street frames, INRIA crops); a region on a
person-free scene is 0; a region of a boxed photo touching no labelled person is left out (label maps miss people).
A logistic regression on (ResNet logit, detector logit, log box height), classes weighted equally, is fitted on the
`--fit` dump (the training split); its operating point on `--choose` (the validation split) keeps the person recall
of the regions at `--recall`, the policy the ResNet's own threshold was chosen by. Then the clip-level figures the
rule would give on the `--choose` dump (a clip alerts on two frames over the threshold) are printed beside the earlier
combination's, and `--write` records the block in the card (region_score.RegionScore reads it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from videoalert_inference.region_score import CARD_KEY, RegionScore, combine, logit

from .box_match import localizes

DEFAULT_RECALL = 0.90
MIN_FRAMES = 2  # a new camera's rule: two frames over the threshold
Scorer = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def read_dump(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def above_floor(items: list[dict[str, Any]], floor: float) -> list[dict[str, Any]]:
    """The dump as a detector with this proposal floor would have left it (a frame's lower proposals dropped)."""
    out = []
    for item in items:
        entries = [e if e[1] is None or e[2] >= floor else [e[0], None, None, 0.0] for e in item["entries"]]
        out.append({**item, "entries": entries})
    return out


def region_rows(items: Iterable[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(ResNet score, detector score, height) per labelled region, and its label."""
    rows: list[tuple[float, float, float]] = []
    labels: list[int] = []
    for item in items:
        for _, box, detector_score, resnet in item["entries"]:
            if box is None:
                continue
            if item["kind"] == "scene":
                label: int | None = 0
            elif item["people"]:
                label = 1 if any(localizes(tuple(box), tuple(p)) for p in item["people"]) else None
            else:
                label = 1
            if label is not None:
                rows.append((resnet, detector_score, box[3] - box[1]))
                labels.append(label)
    return np.asarray(rows, np.float64).reshape(-1, 3), np.asarray(labels, int)


def features(rows: np.ndarray, threshold: float) -> np.ndarray:
    return np.stack([logit(rows[:, 0]) - float(logit(threshold)), logit(rows[:, 1]),
                     np.log(np.maximum(rows[:, 2], 1e-3))], axis=1)


def fit(rows: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[np.ndarray, float]:
    """The logistic regression's weights and intercept (sklearn, L2, classes weighted equally)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit(features(rows, threshold), labels)
    return model.coef_[0].astype(float), float(model.intercept_[0])


def operating_offset(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, intercept: float,
                     threshold: float, recall: float) -> float:
    """The offset k that puts z = 0 where `recall` of the person regions reach it."""
    z = features(rows, threshold)[labels == 1] @ weights + intercept
    cut = float(np.quantile(z, 1.0 - recall))
    return intercept - cut


def clip_figures(items: list[dict[str, Any]], scorer: Scorer, threshold: float) -> dict[str, Any]:
    """What the rule would decide on each item: scene clips alerting, frames over, person frames found by height."""
    scenes = {"clips": 0, "alerting": 0, "frames": 0, "over": 0}
    horses = {"clips": 0, "alerting": 0}
    found: dict[str, list[int]] = {}
    for item in items:
        best = best_per_frame(item, scorer)
        over = int(sum(score >= threshold for score in best.values()))
        if item["kind"] == "scene":
            entry = horses if item["source"].startswith("horse/") else scenes
            entry["clips"] += 1
            entry["alerting"] += int(over >= MIN_FRAMES)
            if entry is scenes:
                scenes["frames"] += len(best)
                scenes["over"] += over
            continue
        bucket = size_bucket(item)
        hits = found.setdefault(bucket, [0, 0])
        hits[0] += over
        hits[1] += len(best)
    return {"scenes": scenes, "horses": horses,
            "person_frames": {k: {"found": v[0], "frames": v[1], "rate": round(v[0] / max(1, v[1]), 4)}
                              for k, v in sorted(found.items())}}


def best_per_frame(item: dict[str, Any], scorer: Scorer) -> dict[float, float]:
    entries = [e for e in item["entries"] if e[1] is not None]
    best = {float(e[0]): 0.0 for e in item["entries"]}
    if entries:
        rows = np.asarray([(e[3], e[2], e[1][3] - e[1][1]) for e in entries], np.float64)
        for e, score in zip(entries, scorer(rows[:, 0], rows[:, 1], rows[:, 2]), strict=True):
            best[float(e[0])] = max(best[float(e[0])], float(score))
    return best


def size_bucket(item: dict[str, Any]) -> str:
    if not item["people"]:
        return item["source"].split("/")[1]
    tallest = max(p[3] - p[1] for p in item["people"])
    return "under_10pct" if tallest < 0.10 else ("10_25pct" if tallest <= 0.25 else "over_25pct")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path, required=True, help="region dump to fit on (the training split)")
    parser.add_argument("--choose", type=Path, required=True, help="region dump to choose the operating point on")
    parser.add_argument("--card", type=Path, default=Path("models/model_card.json"))
    parser.add_argument("--kind", default="int8", help="the card's file (int8 or fp32) whose scores the dumps hold")
    parser.add_argument("--recall", type=float, default=DEFAULT_RECALL)
    parser.add_argument("--floor", type=float, default=0.15, help="the served proposal floor (lower regions dropped)")
    parser.add_argument("--detector-card", type=Path, default=Path("models/detector_card.json"))
    parser.add_argument("--sure-score", type=float, default=0.9, help="the earlier combination's, for comparison")
    parser.add_argument("--write", action="store_true", help="record the block in the card")
    args = parser.parse_args(argv)
    card = json.loads(args.card.read_text())
    threshold = float(card["thresholds"][args.kind]["threshold"])
    fit_items, choose_items = (above_floor(read_dump(path), args.floor) for path in (args.fit, args.choose))
    detector_card = json.loads(args.detector_card.read_text())
    detector_version = f"{detector_card['name']}-{detector_card['sha256'][detector_card['files']['int8']][:8]}"
    fit_rows, fit_labels = region_rows(fit_items)
    weights, intercept = fit(fit_rows, fit_labels, threshold)
    rows, labels = region_rows(choose_items)
    offset = operating_offset(rows, labels, weights, intercept, threshold, args.recall)
    fitted = RegionScore(*(float(w) for w in weights), offset, detector_version)
    report = {
        "fitted": clip_figures(choose_items, lambda r, d, h: fitted.scores(r, d, h, threshold), threshold),
        "earlier": clip_figures(choose_items, lambda r, d, h: combine(r, d, h, threshold, None, args.sure_score),
                                threshold)}
    block = {"weights": {"resnet_margin": round(fitted.resnet, 5), "detector_logit": round(fitted.detector, 5),
                         "log_height": round(fitted.log_height, 5)}, "offset": round(offset, 5),
             "detector_version": detector_version, "proposal_floor": args.floor,
             "policy": f"logistic regression on the training split's region crops; z = 0 at region person recall "
                       f"{args.recall} on the validation split's regions", "score_file": args.kind,
             "fitted_on": {"dump": args.fit.name, "sha256": sha256_of(args.fit), "regions": int(len(fit_labels))},
             "chosen_on": {"dump": args.choose.name, "sha256": sha256_of(args.choose), "regions": int(len(labels))},
             "validation_clip_figures": report["fitted"]}
    print(json.dumps({"block": block, "earlier": report["earlier"]}, indent=1))
    if args.write:
        card[CARD_KEY] = block
        args.card.write_text(json.dumps(card, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
