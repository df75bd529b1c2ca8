"""What each region mode decides on every shared video, and what it costs on a 60 s 640x480 clip.

Run from the repo root:  nice -n 10 python -m bench.regions_real [--repeats 3]
Writes bench/results_regions_real.json and prints two tables: each mode's decision on every shared video (the real
person videos and the six sample clips), then each mode's cost on a 60 s 640x480 clip, modes interleaved within each
repeat so a noisy neighbour hits them alike.

Every mode runs the served models through the container's own path (score_clip with the handler's settings, the
dispatcher's rule with min_frames 2): the int8 ResNet at the card's threshold, and for "detect" the int8 person
detector proposing the regions (on the whole frame of every sampled frame, and on four overlapping tiles of every
n-th one; looking again only where the picture changed, DETECT_CHANGE_LEVEL). The still-image figures per source
(false alerts on empty scenes, person recall by size) are make eval's.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from .common import REPO, SHARED_CLIPS, Stopwatch, machine, median, shipped_classifier, shipped_detector, write_json

sys.path.insert(0, str(REPO / "lambdas"))

from videoalert.domain.rule import Rule, decide_frames
from videoalert_inference.scoring import ScoringRequest, score_clip
from videoalert_inference.settings import InferenceSettings
from videoalert_inference.tiles import TileGrid

SHARED = REPO.parent / "shared" / "data"
# mode -> (rule regions, score_clip extras)
MODES = {
    "detect, tiles every 4th frame, on change (default)": ("detect", {"detect_tile_every": 4}),
    "detect, tiles every 4th frame, every frame looked at": ("detect", {"detect_tile_every": 4,
                                                                         "detect_change_level": 0.0}),
    "detect, no tiles, on change": ("detect", {"detect_tile_every": 0}),
    "detect, tiles every 2nd frame, on change": ("detect", {"detect_tile_every": 2}),
    "detect, tiles every frame, on change": ("detect", {"detect_tile_every": 1}),
    "full (whole frame, the previous default)": ("full", {}),
    "full, as before issue 34 (every frame scored, no decoding levers)": ("full", {"score_change_level": 0.0,
                                                                                 "frame_window": 0.0,
                                                                                 "skip_loop_filter": "default"}),
    "tiles 2 rows, every 2nd frame": ("tiles", {"tile_grid": TileGrid(rows=2), "tile_every": 2}),
    "full+motion (both)": ("both", {}),
}


def videos() -> list[tuple[str, Path, bool]]:
    out = []
    for folder, positive in ((SHARED / "real" / "videos", ("person", "both")), (SHARED_CLIPS, ("human",))):
        with open(folder / "labels.csv", newline="") as handle:
            out += [(f"{folder.name}/{row['file']}", folder / row["file"], row["label"] in positive)
                    for row in csv.DictReader(handle)]
    return sorted(out)


def _score(video, classifier, detector, mode: str):
    """score_clip in this mode with the handler's settings (the detector in detect mode only)."""
    regions, extra = MODES[mode]
    options = InferenceSettings.from_env({}).scoring_options() | {"regions": regions} | extra
    return score_clip(video, classifier, ScoringRequest(1.0, 120, **options),
                      detector=detector if regions == "detect" else None)


def decide_video(path: Path, classifier, detector, mode: str) -> dict:
    clip = _score(str(path), classifier, detector, mode)
    decision = decide_frames(clip.frames, Rule(regions=MODES[mode][0]), classifier.threshold)
    return {"decision": str(decision.decision), "over": decision.frames_over_threshold,
            "max": round(decision.max_score, 3), "inputs": len(clip.frames),
            "detector_views": clip.detector_views}


def cost(path: Path, classifier, detector, repeats: int) -> dict:
    data = path.read_bytes()
    runs: dict[str, dict[str, list]] = {m: {"wall_ms": [], "cpu_ms": [], "inputs": [], "detector_views": []}
                                        for m in MODES}
    for _ in range(repeats):
        for mode in MODES:
            with Stopwatch() as watch:
                clip = _score(data, classifier, detector, mode)
            runs[mode]["wall_ms"].append(watch.seconds * 1000)
            runs[mode]["cpu_ms"].append(watch.cpu_seconds * 1000)
            runs[mode]["inputs"].append(len(clip.frames))
            runs[mode]["detector_views"].append(clip.detector_views)
    return {m: {k: round(median(v), 1) for k, v in r.items()} for m, r in runs.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_regions_real.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    (classifier, _), detector = shipped_classifier(args.model_dir), shipped_detector(args.model_dir)
    rows = {}
    for mode in MODES:
        row = {"videos": {name: decide_video(path, classifier, detector, mode) | {"expected_alert": positive}
                          for name, path, positive in videos()}}
        row["videos_right"] = sum((v["decision"] == "ALERT") == v["expected_alert"] for v in row["videos"].values())
        rows[mode] = row
        wrong = [name for name, v in row["videos"].items() if (v["decision"] == "ALERT") != v["expected_alert"]]
        print(f"{mode:<52} videos right {row['videos_right']}/{len(row['videos'])}"
              + (f"  wrong: {', '.join(wrong)}" if wrong else ""), flush=True)
    # human_01: a person walks through for 21 s of the minute; empty_02: a still room (most of a camera's minutes)
    all_costs = {}
    for clip_name in ("human_01.mp4", "empty_02.mp4"):
        costs = all_costs[clip_name] = cost(SHARED_CLIPS / clip_name, classifier, detector, args.repeats)
        whole = costs["full (whole frame, the previous default)"]
        before = costs["full, as before issue 34 (every frame scored, no decoding levers)"]
        print(f"cost of {clip_name} (60 s 640x480), median of {args.repeats}; ratios to whole frames now / before:")
        for mode, c in costs.items():
            wall, cpu = c["wall_ms"] / whole["wall_ms"], c["cpu_ms"] / whole["cpu_ms"]
            print(f"{mode:<52} {c['inputs']:>5.0f} inputs {c['detector_views']:>4.0f} views"
                  f"  {c['wall_ms']:>7.1f} ms wall (x{wall:.2f} / x{c['wall_ms'] / before['wall_ms']:.2f})"
                  f"  {c['cpu_ms']:>7.1f} ms CPU (x{cpu:.2f} / x{c['cpu_ms'] / before['cpu_ms']:.2f})", flush=True)
    result = {"model_version": classifier.version, "detector": detector.version, "threshold": classifier.threshold,
              "machine": machine(), "modes": rows, "cost_60s_640x480": all_costs["human_01.mp4"],
              "cost_60s_640x480_still": all_costs["empty_02.mp4"], "repeats": args.repeats,
              "elapsed_s": round(time.perf_counter() - started, 1)}
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
