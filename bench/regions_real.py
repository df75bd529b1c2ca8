"""Which regions find real people: whole frame (128-224 px), tiles, motion crops and their mixes, on real footage.

Run from the repo root:  nice -n 10 python -m bench.regions_real [--repeats 3]
Writes bench/results_regions_real.json and prints two tables: what each mode decides on every shared video
(the real person videos and the six sample clips) and how many whole street frames it finds people in (and
horse photos it stays quiet on), then what each mode costs on a 60 s 640x480 clip, interleaved.

Every mode runs the released model through the container's own path (score_clip, the dispatcher's rule with
min_frames 2). The whole frame at 160 and 224 px uses the fp32 file with its input made size-free (the network
ends in a global average pool, so it runs at any size), at the card's threshold.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from .common import REPO, SHARED_CLIPS, Stopwatch, cache_dir, machine, median, write_json

sys.path.insert(0, str(REPO / "lambdas"))

from videoalert.domain.rule import Rule, decide_frames
from videoalert_inference.model import CARD_FILE, MODEL_FILE, load_classifier
from videoalert_inference.scoring import score_clip
from videoalert_inference.tiles import TileGrid

SHARED = REPO.parent / "shared" / "data"
# mode -> (rule regions, input size, score_clip extras)
MODES = {
    "full 128": ("full", 128, {}),
    "full 160": ("full", 160, {}),
    "full 224": ("full", 224, {}),
    "motion": ("motion", 128, {}),
    "full+motion (both)": ("both", 128, {}),
    "tiles 2 rows": ("tiles", 128, {"tile_grid": TileGrid(rows=2)}),
    "tiles 2 rows, every 2nd frame": ("tiles", 128, {"tile_grid": TileGrid(rows=2), "tile_every": 2}),
    "tiles 2 rows, every 4th frame": ("tiles", 128, {"tile_grid": TileGrid(rows=2), "tile_every": 4}),
    "tiles 3 rows": ("tiles", 128, {"tile_grid": TileGrid(rows=3)}),
}


def sized_model(model_dir: Path, size: int) -> Path:
    """A copy of the fp32 model whose input height and width are free, carded for `size` px."""
    import onnx

    out = cache_dir("regions_real", f"size{size}")
    card = json.loads((model_dir / CARD_FILE).read_text())
    card["preprocess"]["input_size"] = size
    card["files"] = {"fp32": MODEL_FILE, "int8": None}
    card["served"] = "fp32"
    card["encodings"] = {}
    model = onnx.load(str(model_dir / MODEL_FILE))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "H", "W"
    onnx.save(model, str(out / MODEL_FILE))
    (out / CARD_FILE).write_text(json.dumps(card))
    return out


def classifiers(model_dir: Path) -> dict:
    fp32 = {size: load_classifier(sized_model(model_dir, size), intra_op_threads=1) for size in (128, 160, 224)}
    return {mode: fp32[size] for mode, (_, size, _) in MODES.items()}


def videos() -> list[tuple[str, Path, bool]]:
    out = []
    for folder, positive in ((SHARED / "real" / "videos", ("person", "both")), (SHARED_CLIPS, ("human",))):
        with open(folder / "labels.csv", newline="") as handle:
            out += [(f"{folder.name}/{row['file']}", folder / row["file"], row["label"] in positive)
                    for row in csv.DictReader(handle)]
    return sorted(out)


def decide_video(path: Path, classifier, mode: str) -> dict:
    regions, _, extra = MODES[mode]
    clip = score_clip(str(path), classifier, 1.0, 120, regions=regions, **extra)
    decision = decide_frames(clip.frames, Rule(regions=regions), classifier.threshold)
    return {"decision": str(decision.decision), "over": decision.frames_over_threshold,
            "max": round(decision.max_score, 3), "inputs": len(clip.frames)}


def still_images(classifier, mode: str, images: list[np.ndarray]) -> np.ndarray:
    """Per image: the best score the mode's regions give (motion needs a video: None)."""
    from videoalert_training.image_scores import score_images

    regions, _, extra = MODES[mode]
    if regions in ("motion", "both"):
        return None
    grid = extra.get("tile_grid", TileGrid())
    scores = score_images(classifier, images, tiles=regions == "tiles", grid=grid)
    return scores.regions


def cost(path: Path, clfs: dict, repeats: int) -> dict:
    data = path.read_bytes()
    runs: dict[str, dict[str, list]] = {m: {"wall_ms": [], "cpu_ms": [], "inputs": []} for m in MODES}
    for _ in range(repeats):
        for mode, (regions, _, extra) in MODES.items():
            with Stopwatch() as watch:
                clip = score_clip(data, clfs[mode], 1.0, 120, regions=regions, decoder_workers=2,
                                  inference_workers=2, batch_size=8, **extra)
            runs[mode]["wall_ms"].append(watch.seconds * 1000)
            runs[mode]["cpu_ms"].append(watch.cpu_seconds * 1000)
            runs[mode]["inputs"].append(len(clip.frames))
    return {m: {k: round(median(v), 1) for k, v in r.items()} for m, r in runs.items()}


def main(argv=None) -> int:
    from videoalert_training.data import read_rgb
    from videoalert_training.real_data import list_real

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_regions_real.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    clfs = classifiers(args.model_dir)
    threshold = next(iter(clfs.values())).threshold
    val = list_real(SHARED / "real" / "images", "validation")
    streets = [read_rgb(i.path) for i in val if i.source == "person/street_640x480"]
    horses = [read_rgb(i.path) for i in val if i.source == "horse/weizmann"]
    rows = {}
    for mode in MODES:
        row = {"videos": {name: decide_video(path, clfs[mode], mode) | {"expected_alert": positive}
                          for name, path, positive in videos()}}
        row["videos_right"] = sum((v["decision"] == "ALERT") == v["expected_alert"] for v in row["videos"].values())
        street_scores, horse_scores = still_images(clfs[mode], mode, streets), still_images(clfs[mode], mode, horses)
        row["street_frames_found"] = None if street_scores is None else int(np.sum(street_scores >= threshold))
        row["horse_photos_quiet"] = None if horse_scores is None else int(np.sum(horse_scores < threshold))
        rows[mode] = row
        print(f"{mode:<32} videos right {row['videos_right']}/{len(row['videos'])}  street frames "
              f"{row['street_frames_found']}/{len(streets)}  "
              f"horse photos quiet {row['horse_photos_quiet']}/{len(horses)}", flush=True)
    costs = cost(SHARED_CLIPS / "human_01.mp4", clfs, args.repeats)
    for mode, c in costs.items():
        print(f"{mode:<32} {c['inputs']:>5.0f} inputs  {c['wall_ms']:>7.1f} ms wall  {c['cpu_ms']:>7.1f} ms CPU")
    result = {"model_version": next(iter(clfs.values())).version, "file": "fp32 (size-free copy)",
              "threshold": threshold, "machine": machine(), "modes": rows, "cost_60s_640x480": costs,
              "street_frames": len(streets), "horse_photos": len(horses), "repeats": args.repeats,
              "elapsed_s": round(time.perf_counter() - started, 1)}
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
