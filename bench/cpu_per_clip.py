"""CPU per clip against the strong baseline (bench/strong_baseline.py), each decoding lever measured on its own,
paired and interleaved round by round with the load recorded; then the decisions on every shared video, before and
after the levers.

    python -m bench.cpu_per_clip --runs 5            # CPU and wall time per clip, as ratios to the baseline
    python -m bench.cpu_per_clip --decisions         # the same decisions on every shared video (and 1080p versions)
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from .camera_clips import cpu_clips, real_1080p30
from .common import SHARED_CLIPS, Stopwatch, machine, median, shipped_classifier, shipped_detector
from .strong_baseline import BASELINE, strong_score_clip

# The clip path as it was before issue 34's levers (the model input's table is bit-identical, so it stays on).
BEFORE = {"frame_window": 0.0, "skip_loop_filter": "default", "score_change_level": 0.0}
# The settings the stack gives the function at 1,769 MB (infra/inference.py scoring_environment).
ONE_VCPU = {"decoder_workers": 1, "inference_workers": 1, "pipeline": False}
LEVERS = {
    "whole frames, before": ("full", BEFORE),
    "whole frames, frame window only": ("full", dict(BEFORE, frame_window=0.5)),
    "whole frames, no deblocking only": ("full", dict(BEFORE, skip_loop_filter="nokey")),
    "whole frames, unchanged frames take the last score only": ("full", dict(BEFORE, score_change_level=8.0)),
    "whole frames, shipped (all three)": ("full", {}),
    "whole frames, shipped, one vCPU as deployed": ("full", ONE_VCPU),
    "detect (default path), before": ("detect", BEFORE),
    "detect (default path), shipped": ("detect", {}),
    "detect (default path), shipped, one vCPU as deployed": ("detect", ONE_VCPU),
}


def _models():
    from .common import RELEASED_MODELS

    classifier, settings = shipped_classifier(RELEASED_MODELS)
    return classifier, shipped_detector(RELEASED_MODELS), settings


def _score(data, classifier, detector, settings, regions: str, overrides: dict):
    from videoalert_inference.scoring import score_clip

    request = settings.scoring_request(None, regions=regions, **overrides)
    return score_clip(data, classifier, request, detector=detector)


def run(runs: int) -> dict:
    """Each round runs the baseline and every lever once on each clip; CPU time is the process's (all threads)."""
    classifier, detector, settings = _models()
    results: dict = {"machine_before": machine(), "encoding": classifier.encoding, "runs": runs, "clips": {}}
    clips = {name: path.read_bytes() for name, path in cpu_clips().items()}
    cpu: dict = {c: {} for c in clips}
    wall: dict = {c: {} for c in clips}
    loads: list[float] = []
    decoded: dict = {c: {} for c in clips}
    for _ in range(runs):
        loads.append(round(os.getloadavg()[0], 2))
        for name, data in clips.items():
            with Stopwatch() as sw:
                strong_score_clip(data, classifier)
            cpu[name].setdefault(BASELINE, []).append(sw.cpu_seconds)
            wall[name].setdefault(BASELINE, []).append(sw.seconds)
            for label, (regions, overrides) in LEVERS.items():
                with Stopwatch() as sw:
                    result = _score(data, classifier, detector, settings, regions, overrides)
                cpu[name].setdefault(label, []).append(sw.cpu_seconds)
                wall[name].setdefault(label, []).append(sw.seconds)
                decoded[name][label] = result.stats.frames_decoded
    for name in clips:
        base_cpu, base_wall = median(cpu[name][BASELINE]), median(wall[name][BASELINE])
        results["clips"][name] = {
            "median_cpu_s": {k: round(median(v), 3) for k, v in cpu[name].items()},
            "median_wall_s": {k: round(median(v), 3) for k, v in wall[name].items()},
            "cpu_ratio_baseline_over": {k: round(base_cpu / median(v), 2) for k, v in cpu[name].items()
                                        if k != BASELINE},
            "wall_ratio_baseline_over": {k: round(base_wall / median(v), 2) for k, v in wall[name].items()
                                         if k != BASELINE},
            "frames_decoded": decoded[name],
        }
    results["load_1m_per_round"] = loads
    results["machine_after"] = machine()
    return results


def decisions(paths: list[Path]) -> dict:
    """Per video and path (whole frames, detect): the default rule's decision, max score, and the largest score change
    at a time both runs sampled, before and after the levers."""
    from videoalert.domain.rule import Rule, decide_frames

    classifier, detector, settings = _models()
    rows, same = {}, True
    for path in paths:
        data = path.read_bytes()
        for regions in ("full", "detect"):
            before = _score(data, classifier, detector, settings, regions, BEFORE)
            after = _score(data, classifier, detector, settings, regions, {})
            verdicts = [decide_frames(r.frames, Rule(), classifier.threshold).decision.value for r in (before, after)]
            best_before = _best(before.frames)
            shared = [abs(s - best_before[t]) for t, s in _best(after.frames).items() if t in best_before]
            same = same and verdicts[0] == verdicts[1]
            rows[f"{path.parent.name}/{path.name} {regions}"] = {
                "decision_before": verdicts[0], "decision_after": verdicts[1],
                "max_score": [round(before.max_score, 4), round(after.max_score, 4)],
                "max_score_difference_at_shared_times": round(max(shared, default=0.0), 4),
                "frames_decoded": [before.stats.frames_decoded, after.stats.frames_decoded]}
    return {"machine": machine(), "threshold": classifier.threshold, "same_decisions": same, "videos": rows}


def _best(frames) -> dict[float, float]:
    best: dict[float, float] = {}
    for frame in frames:
        best[frame.t] = max(best.get(frame.t, 0.0), frame.score)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--decisions", action="store_true")
    args = parser.parse_args()
    if args.decisions:
        shared = sorted(SHARED_CLIPS.glob("*.mp4")) + sorted((SHARED_CLIPS.parent / "real" / "videos").glob("*.mp4"))
        print(json.dumps(decisions(shared + real_1080p30()), indent=2))
    else:
        print(json.dumps(run(args.runs), indent=2))


if __name__ == "__main__":
    main()
