"""Calibrate the false-positive memory's match on data: the same scene's regions at another moment must match what a
tap remembered, a person standing in that place or beside it must not.

Run from the repo root:  nice -n 10 python -m bench.memory_calibration [--split train] [--limit 160]
Writes bench/results_memory_calibration.json and prints each option's two rates.

Per scene (a real person-free photo of the TRAINING split: the reported learning curve is on the validation split),
the container's clip path (score_clip with the handler's settings, detect mode, the released models) scores four
clips (bench/memory_scenes.py): the tapped moment, a later moment, the scene with a person in front of the tapped
moment's best region, and with a person anywhere. Every region of the tapped moment is remembered, whatever its score
(the calibration is of the match, not of the model); then each option says, for each later region in a remembered
place, whether it matches (wanted), and for each region that is the pasted person, whether it matches (a muted
person). Options measured:
- distance: the crop embeddings' cosine distance alone, anywhere in the frame (the memory as it was, on crops);
- region + distance: the same place (IoU >= 0.3) and the distance; with the detector guard (the detection's
  detector score at most the remembered one's + a margin);
- threshold offset: the same place and a score at most the remembered score + an offset (no embedding);
- nearest neighbour: the same place, and nearer to the remembered region than to any of a bank of 300 person crops
  of the training split (a per-camera classifier with the camera's labels on one side and people on the other).
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .common import REPO, cache_dir, machine, write_json

sys.path.insert(0, str(REPO / "lambdas"))

SHARED = REPO.parent / "shared" / "data"
BANK = 300
_worker: dict[str, Any] = {}


def _init(model_dir: Path, real: Path, split: str) -> None:
    from bench.memory_scenes import people
    from videoalert_training.evaluate_real import product_path

    _worker.update(path=product_path(model_dir, "detect"), cutouts=people(real, split, cache_dir("memory", "cutouts")))


def _regions(clip: Any) -> list[dict[str, Any]]:
    return [{"box": list(e.box), "score": e.score, "detector_score": e.detector_score,
             "vector": np.asarray(e.embedding, np.float32)} for e in clip.top_embeddings if e.box is not None]


def scene_regions(scene: Any) -> dict[str, Any]:
    """The top regions of the scene's four clips, and where the pasted people are."""
    from bench.memory_scenes import ANYWHERE, IN_FRONT, person_composite, scene_clip

    path, cutouts = _worker["path"], _worker["cutouts"]
    tapped = _regions(path.score(scene_clip(scene, "tap", 0)))
    out: dict[str, Any] = {"scene": scene.name, "tapped": tapped, "later": _regions(path.score(scene_clip(scene,
                                                                                                          "later", 0)))}
    near = tuple(max(tapped, key=lambda r: r["score"])["box"]) if tapped else None
    for where in (IN_FRONT, ANYWHERE):
        clip, box = person_composite(scene, cutouts, 0, where, near)  # type: ignore[arg-type]
        out[where] = {"regions": _regions(path.score(clip)), "person": list(box)}
    return out


def person_bank(real: Path, model_dir: Path) -> np.ndarray:
    """Embeddings of BANK training-split INRIA person crops (the model's own framing of a person)."""
    from videoalert_inference.preprocess import to_model_input
    from videoalert_training.data import read_rgb
    from videoalert_training.evaluate_real import product_path
    from videoalert_training.real_data import list_real

    path = product_path(model_dir, "full")
    images = list_real(real, "train", {"person/inria_96x160": (1, "crop")})[::4][:BANK]
    import cv2

    size = path.classifier.spec.input_size
    crops = [cv2.resize(read_rgb(i.path), (size, size), interpolation=cv2.INTER_AREA) for i in images]
    return np.concatenate([path.classifier.predict_batch(to_model_input(crops[i:i + 32], path.classifier.spec))
                           .embeddings for i in range(0, len(crops), 32)])


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine distances of one vector to each row."""
    b2 = np.atleast_2d(b)
    return 1.0 - (b2 @ a) / np.maximum(np.linalg.norm(b2, axis=1) * np.linalg.norm(a), 1e-12)


def _iou(a: Any, b: Any) -> float:
    from videoalert_contract.boxes import iou

    return iou(a, b)


def _is_person(region: dict[str, Any], person: list[float]) -> bool:
    """The region is the pasted person: overlaps it (IoU >= 0.3) or holds 60 % of it."""
    from videoalert_contract.boxes import iou

    box = region["box"]
    width = min(box[2], person[2]) - max(box[0], person[0])
    height = min(box[3], person[3]) - max(box[1], person[1])
    covered = max(0.0, width) * max(0.0, height) / max(1e-9, (person[2] - person[0]) * (person[3] - person[1]))
    return iou(box, person) >= 0.3 or covered >= 0.6


def option_matches(option: dict[str, Any], region: dict[str, Any], remembered: list[dict[str, Any]],
                   bank: np.ndarray) -> bool:
    """Whether the option takes `region` for one of the remembered regions."""
    min_iou = option.get("min_iou", 0.0)
    for entry in remembered:
        if min_iou > 0 and _iou(region["box"], entry["box"]) < min_iou:
            continue
        kind = option["kind"]
        if kind == "offset":
            if region["score"] <= entry["score"] + option["offset"]:
                return True
            continue
        distance = float(_cos(region["vector"], entry["vector"])[0])
        if kind == "knn":
            if distance < float(_cos(region["vector"], bank).min()) and distance <= option.get("max_distance", 2.0):
                return True
            continue
        if distance > option["max_distance"]:
            continue
        margin = option.get("margin")
        if margin is not None and region["detector_score"] is not None and entry["detector_score"] is not None \
                and region["detector_score"] > entry["detector_score"] + margin:
            continue
        return True
    return False


OPTIONS: list[dict[str, Any]] = (
    [{"name": f"distance {d}", "kind": "distance", "max_distance": d} for d in (0.01, 0.05, 0.1, 0.2, 0.3)]
    + [{"name": f"region + distance {d}", "kind": "distance", "min_iou": 0.3, "max_distance": d}
       for d in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)]
    + [{"name": f"region + distance {d} + detector guard {m}", "kind": "distance", "min_iou": 0.3,
        "max_distance": d, "margin": m} for d in (0.15, 0.2, 0.3) for m in (0.0, 0.1, 0.2)]
    + [{"name": f"region + threshold offset {o}", "kind": "offset", "min_iou": 0.3, "offset": o}
       for o in (0.0, 0.05, 0.1, 0.2)]
    + [{"name": "region + nearer than any person of the bank", "kind": "knn", "min_iou": 0.3},
       {"name": "region + nearer than any person of the bank + distance 0.3", "kind": "knn", "min_iou": 0.3,
        "max_distance": 0.3}]
)


def measure(results: list[dict[str, Any]], bank: np.ndarray) -> list[dict[str, Any]]:
    """Per option: later regions in a remembered place that match; person regions that match (in front, anywhere)."""
    rows = []
    for option in OPTIONS:
        later = [option_matches(option, r, s["tapped"], bank) for s in results for r in s["later"]
                 if any(_iou(r["box"], t["box"]) >= 0.3 for t in s["tapped"])]
        row: dict[str, Any] = {"option": option["name"], "later_regions": len(later),
                               "later_matched": int(sum(later))}
        for where in ("in_front", "anywhere"):
            people = [option_matches(option, r, s["tapped"], bank) for s in results for r in s[where]["regions"]
                      if _is_person(r, s[where]["person"])]
            row[f"person_{where}_regions"] = len(people)
            row[f"person_{where}_matched"] = int(sum(people))
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--split", choices=("train", "validation"), default="train")
    parser.add_argument("--limit", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_memory_calibration.json")
    args = parser.parse_args(argv)
    from bench.memory_scenes import scenes

    started = time.perf_counter()
    real = args.data / "real" / "images"
    chosen = scenes(real, args.split, args.limit)
    with multiprocessing.get_context("spawn").Pool(args.workers, _init, (args.model_dir, real, args.split)) as pool:
        results = pool.map(scene_regions, chosen, chunksize=4)
    bank = person_bank(real, args.model_dir)
    rows = measure(results, bank)
    for row in rows:
        later = row["later_matched"] / max(1, row["later_regions"])
        front = row["person_in_front_matched"] / max(1, row["person_in_front_regions"])
        anywhere = row["person_anywhere_matched"] / max(1, row["person_anywhere_regions"])
        print(f"{row['option']:<58} same place later matched {row['later_matched']}/{row['later_regions']} "
              f"({later:.2f}); person matched: in front {row['person_in_front_matched']}/"
              f"{row['person_in_front_regions']} ({front:.2f}), anywhere {row['person_anywhere_matched']}/"
              f"{row['person_anywhere_regions']} ({anywhere:.2f})", flush=True)
    write_json(args.out, {"split": args.split, "scenes": len(chosen), "machine": machine(), "options": rows,
                          "elapsed_s": round(time.perf_counter() - started, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
