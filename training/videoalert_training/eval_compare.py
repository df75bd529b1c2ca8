"""Does a retrained model give back the release's figures? Two `make eval` reports, figure by figure.

`python -m videoalert_training.eval_compare RELEASE.json CANDIDATE.json [--tolerance 0.03]`

The figures are the product's headline ones (make eval, README's model section): false alerts on empty-scene clips
and frames, horse clips, person recall by the tallest person's height and over all boxed stills, street frames,
INRIA crops, frame precision, the CGI renders, and every shared video's decision. A rate passes when it is within
`tolerance` (absolute) of the release's, or no worse than it; a video passes when its decision is the same. Exit 0
when every figure passes, 1 otherwise. Both reports must come from the same evaluation (regions, rule, clip path):
comparing across a change of the product would compare the product, not the training.

Why a tolerance and not equality: training runs on CPU kernels whose float reductions are not bit-reproducible
across thread schedules (PyTorch's intra-op parallelism), so two runs of `make train` with the same seeds end a few
hundredths apart on the small sources; training/README.md has the measured reproduction.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TOLERANCE = 0.03
HIGHER_IS_BETTER, LOWER_IS_BETTER = 1, -1

Report = dict[str, Any]


def _rate(*keys: str) -> Callable[[Report], float | None]:
    def read(report: Report) -> float | None:
        node: Any = report
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        if isinstance(node, dict):
            node = node.get("rate")
        return None if node is None else float(node)
    return read


# name -> (how to read it, which way is better)
FIGURES: dict[str, tuple[Callable[[Report], float | None], int]] = {
    "empty-scene clips alerting": (_rate("no_person_scenes_total", "alert_rate"), LOWER_IS_BETTER),
    "empty-scene frames over the threshold": (_rate("no_person_scenes_total", "frames_over_threshold"),
                                              LOWER_IS_BETTER),
    "horse clips alerting": (_rate("horses", "horse/weizmann", "alert_rate"), LOWER_IS_BETTER),
    "person frames found, under 10 %": (_rate("person_boxed_total", "recall_by_tallest_person", "under_10pct"),
                                        HIGHER_IS_BETTER),
    "person frames found, 10-25 %": (_rate("person_boxed_total", "recall_by_tallest_person", "10_25pct"),
                                     HIGHER_IS_BETTER),
    "person frames found, over 25 %": (_rate("person_boxed_total", "recall_by_tallest_person", "over_25pct"),
                                       HIGHER_IS_BETTER),
    "person stills found in any frame": (_rate("person_boxed_total", "recall_any_frame"), HIGHER_IS_BETTER),
    "street frames found": (_rate("person_frames", "person/street_640x480", "recall"), HIGHER_IS_BETTER),
    "INRIA crops found": (_rate("person_crops", "person/inria_96x160", "recall"), HIGHER_IS_BETTER),
    "frame precision": (_rate("frame_precision", "person_scenes_vs_no_person_scenes"), HIGHER_IS_BETTER),
    "CGI renders, accuracy": (_rate("horse_or_human_validation", "accuracy"), HIGHER_IS_BETTER),
}
# What must be the same in both reports for the comparison to mean anything.
SAME_EVALUATION = ("regions", "rule", "detector_version", "clip_path")


@dataclass(frozen=True)
class Row:
    figure: str
    release: float | str | None
    candidate: float | str | None
    passed: bool


def compare(release: Report, candidate: Report, tolerance: float = DEFAULT_TOLERANCE) -> list[Row]:
    """One row per headline figure and per shared video. Raises ValueError for reports of different evaluations."""
    differing = [key for key in SAME_EVALUATION if release.get(key) != candidate.get(key)]
    if differing:
        raise ValueError(f"the reports come from different evaluations ({', '.join(differing)} differ): "
                         "run make eval on both models with the same code")
    rows = []
    for name, (read, better) in FIGURES.items():
        old, new = read(release), read(candidate)
        if old is None or new is None:
            rows.append(Row(name, old, new, old is None and new is None))
            continue
        rows.append(Row(name, old, new, (new - old) * better >= -tolerance - 1e-9))
    old_videos = {v["video"]: v["decision"] for v in release.get("videos", [])}
    new_videos = {v["video"]: v["decision"] for v in candidate.get("videos", [])}
    for video in sorted(old_videos.keys() | new_videos.keys()):
        old_d, new_d = old_videos.get(video), new_videos.get(video)
        rows.append(Row(video, old_d, new_d, old_d == new_d))
    return rows


def format_rows(rows: list[Row], tolerance: float) -> str:
    def show(value: float | str | None) -> str:
        return "-" if value is None else value if isinstance(value, str) else f"{value:.4f}"
    lines = [f"{'figure':<42} {'release':>9} {'candidate':>9}  within {tolerance} (or better)"]
    lines += [f"{r.figure:<42} {show(r.release):>9} {show(r.candidate):>9}  {'ok' if r.passed else 'NO'}"
              for r in rows]
    failed = [r.figure for r in rows if not r.passed]
    lines.append(f"{len(rows) - len(failed)}/{len(rows)} figures give back the release's"
                 + (f"; not: {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path, help="the release's make eval report (models/reports/eval_real.json)")
    parser.add_argument("candidate", type=Path, help="the retrained model's make eval report")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    args = parser.parse_args(argv)
    try:
        rows = compare(json.loads(args.release.read_text()), json.loads(args.candidate.read_text()), args.tolerance)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_rows(rows, args.tolerance))
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
