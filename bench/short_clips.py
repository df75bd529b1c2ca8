"""Short clips: how many frames a clip of a few seconds needs for the two-frame rule, measured on real footage.

Run from the repo root:  nice -n 10 python -m bench.short_clips [--lengths 2 3 5] [--floors 0 4 6 8 12]
Writes bench/results_short_clips.json and prints, per clip length and floor (min_samples: the fewest frames a
short clip is sampled), the share of person windows that alert, the share of horse and empty windows that alert,
and the frames and time each window costs.

A short clip is a window [s, s + L) of a longer video, scored as the inference function scores a one-part clip
(score_clip with start_s/end_s: the floor spreads its frames over the window), with the served model and the
dispatcher's default rule (two frames over the card's threshold). Windows come from every shared video:
- person: the real videos (people in most frames; a window may still hold none) and the sample human clips while
  the person is in view (labels.csv: subject_enters_s..subject_gone_s);
- not a person: the sample horse clips while the horse is in view, and the empty clips.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from .common import REPO, SHARED_CLIPS, Stopwatch, machine, median, shipped_detector, write_json

sys.path.insert(0, str(REPO / "lambdas"))

from videoalert.domain.rule import Rule, decide_frames
from videoalert_inference.frames import FrameSampler
from videoalert_inference.model import load_classifier
from videoalert_inference.scoring import ScoringRequest, score_clip

REAL_VIDEOS = SHARED_CLIPS.parent / "real" / "videos"
REFERENCE = "10 fps"  # every window sampled at 10 fps: what a much finer grid would give


def duration_s(path: Path) -> float:
    sampler = FrameSampler(1.0, 1)
    list(sampler.sample(str(path)))
    return sampler.video_info().duration_s


def windows(length: float) -> list[tuple[str, Path, float, float, bool]]:
    """(name, path, start, end, person) for every window of `length` s (a last window under half of it dropped)."""
    spans: list[tuple[str, Path, float, float, bool]] = []
    with open(REAL_VIDEOS / "labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            path = REAL_VIDEOS / row["file"]
            spans.append((f"real/{row['file']}", path, 0.0, duration_s(path), True))
    with open(SHARED_CLIPS / "labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            path = SHARED_CLIPS / row["file"]
            if row["label"] == "empty":
                spans.append((f"clips/{row['file']}", path, 0.0, duration_s(path), False))
            else:
                spans.append((f"clips/{row['file']}", path, float(row["subject_enters_s"]),
                               float(row["subject_gone_s"]), row["label"] == "human"))
    out = []
    for name, path, start, end, person in spans:
        s = start
        while end - s >= length / 2:
            out.append((name, path, round(s, 3), round(min(s + length, end), 3), person))
            s += length
    return out


def score_window(path: Path, classifier, detector, start: float, end: float,
                 floor: int | None) -> tuple[str, int, float]:
    fps, min_samples = (10.0, 0) if floor is None else (1.0, floor)
    with Stopwatch() as watch:
        request = ScoringRequest(sample_fps=fps, max_frames=120, start_s=start, end_s=end, min_samples=min_samples)
        clip = score_clip(str(path), classifier, request, detector=detector)
    decision = decide_frames(clip.frames, Rule(), classifier.threshold)
    return str(decision.decision), clip.frames_sampled, watch.seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--lengths", type=float, nargs="+", default=[2.0, 3.0, 5.0])
    parser.add_argument("--floors", type=int, nargs="+", default=[0, 4, 6, 8, 12])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_short_clips.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    classifier = load_classifier(args.model_dir, intra_op_threads=1)
    detector = shipped_detector(args.model_dir)
    settings: list[tuple[str, int | None]] = [(f"floor {f}", f) for f in args.floors] + [(REFERENCE, None)]
    rows: dict[str, dict] = {}
    print(f"model {classifier.version}, threshold {classifier.threshold:.4f}, rule: two frames over it")
    print(f"{'length':>6}  {'sampling':<9}{'person windows alerting':>25}{'horse/empty alerting':>22}"
          f"{'frames':>8}{'ms/window':>11}")
    for length in args.lengths:
        spans = windows(length)
        for label, floor in settings:
            # Interleaved per window, so a busy moment costs every setting alike
            results = [(person, *score_window(path, classifier, detector, start, end, floor))
                       for _, path, start, end, person in spans]
            people = [r for r in results if r[0]]
            others = [r for r in results if not r[0]]
            row = {"person_windows": len(people), "person_alerts": sum(r[1] == "ALERT" for r in people),
                   "other_windows": len(others), "other_alerts": sum(r[1] == "ALERT" for r in others),
                   "frames_median": median([r[2] for r in results]),
                   "ms_median": round(1000 * median([r[3] for r in results]), 1)}
            rows[f"{length:g}s {label}"] = row
            print(f"{length:>5g}s  {label:<9}{row['person_alerts']:>16}/{row['person_windows']:<3} "
                  f"({row['person_alerts'] / row['person_windows']:.2f}){row['other_alerts']:>14}/"
                  f"{row['other_windows']:<3}{row['frames_median']:>11g}{row['ms_median']:>11.1f}", flush=True)
    write_json(args.out, {"model_version": classifier.version, "threshold": classifier.threshold,
                          "machine": machine(), "rows": rows, "elapsed_s": round(time.perf_counter() - started, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
