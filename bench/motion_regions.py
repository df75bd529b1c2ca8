"""Motion regions vs whole frames with the released model: frames over threshold, decisions, and the extra cost of
"both".

Run from the repo root:  nice -n 10 python -m bench.motion_regions [--repeats 3]
Writes bench/results_motion_regions.json and prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.fixtures import motion_scenes
from videoalert.domain.rule import Rule, decide_frames
from videoalert_inference.model import load_classifier
from videoalert_inference.scoring import ScoringRequest, score_clip

from .common import RELEASED_MODELS, REPO, SHARED_CLIPS, Stopwatch, machine, median, write_json

MODES = ("full", "motion", "both")
SHARED = ("human_01", "human_02", "horse_01", "horse_02", "empty_01", "empty_02")


def frames_over(scores, threshold: float, regions: tuple[str, ...]) -> int:
    """Distinct sampled seconds with at least one entry of the given regions at or over the threshold."""
    return len({f.t for f in scores.frames if f.region in regions and f.score >= threshold})


def measure_clip(name: str, video, classifier) -> dict:
    scores = score_clip(video, classifier, ScoringRequest(regions="both"))
    thr = classifier.threshold
    frames = [{"t": f.t, "score": f.score, "region": f.region} for f in scores.frames]
    row = {
        "clip": name,
        "over_full": frames_over(scores, thr, ("full",)),
        "over_motion": frames_over(scores, thr, ("motion",)),
        "over_both": frames_over(scores, thr, ("full", "motion")),
        "motion_entries": sum(f.region == "motion" for f in scores.frames),
        "seconds_with_motion": len({f.t for f in scores.frames if f.region == "motion"}),
    }
    # What the default rule (2 frames of one region) decides in each mode.
    for mode in MODES:
        wanted = ("full", "motion") if mode == "both" else (mode,)
        row[f"decision_{mode}"] = decide_frames([f for f in frames if f["region"] in wanted], Rule(), thr).decision
    return row


def cost(video, classifier, repeats: int) -> dict:
    """Per-mode wall and CPU time of score_clip, runs interleaved so machine load hits every mode alike."""
    runs = {mode: {"wall": [], "cpu": [], "inference": []} for mode in MODES}
    for _ in range(repeats):
        for mode in MODES:
            with Stopwatch() as watch:
                scores = score_clip(video, classifier, ScoringRequest(regions=mode))
            runs[mode]["wall"].append(watch.seconds * 1000)
            runs[mode]["cpu"].append(watch.cpu_seconds * 1000)
            runs[mode]["inference"].append(scores.timings_ms["inference"])
    return {mode: {k: round(median(v), 1) for k, v in r.items()} for mode, r in runs.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_motion_regions.json")
    args = parser.parse_args(argv)
    if not (RELEASED_MODELS / "person_classifier.onnx").exists():
        print(f"no released model in {RELEASED_MODELS}", file=sys.stderr)
        return 1
    classifier = load_classifier(RELEASED_MODELS, intra_op_threads=1)
    started = time.perf_counter()
    clips = {name: (SHARED_CLIPS / f"{name}.mp4").read_bytes() for name in SHARED}
    far = motion_scenes.walking_person(seconds=60, fps=10, height_fraction=0.15, enters_s=20)
    clips["far_person_15pct (generated)"] = far.video
    rows = [measure_clip(name, video, classifier) for name, video in clips.items()]
    costs = {
        "human_01": cost(clips["human_01"], classifier, args.repeats),
        "empty_01": cost(clips["empty_01"], classifier, args.repeats),
    }
    result = {
        "model_version": classifier.version,
        "threshold": classifier.threshold,
        "machine": machine(),
        "rule": Rule().describe(),
        "clips": rows,
        "cost_ms": costs,
        "repeats": args.repeats,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    write_json(args.out, result)

    print(f"model {classifier.version}, threshold {classifier.threshold:.3f}, default rule ({Rule().describe()})")
    print(f"{'clip':30} {'over: full':>10} {'motion':>7} {'both':>5} {'motion s':>8}  decision full / motion / both")
    for r in rows:
        print(
            f"{r['clip']:30} {r['over_full']:>10} {r['over_motion']:>7} {r['over_both']:>5} "
            f"{r['seconds_with_motion']:>8}  {r['decision_full']} / {r['decision_motion']} / {r['decision_both']}"
        )
    for clip, by_mode in costs.items():
        line = ", ".join(
            f"{m} {v['wall']:.0f} ms wall / {v['cpu']:.0f} ms CPU (inference {v['inference']:.0f})"
            for m, v in by_mode.items()
        )
        print(f"cost {clip}: {line}")
    print(f"load average {result['machine']['loadavg_1m']}; written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
