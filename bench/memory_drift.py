"""A warm inference process over many clips: how its resident memory drifts, with glibc's default malloc arenas and
with MALLOC_ARENA_MAX=2 (the inference image's setting), paired and interleaved.

Run from the repo root:  nice -n 10 python -m bench.memory_drift [--clips 20] [--pairs 2]
Each child is a fresh process, as a new Lambda container is: it loads the served models with the handler's settings,
then scores the 60 s 640x480 clip `--clips` times with the shipped regions, reading VmRSS after each clip. glibc reads
MALLOC_ARENA_MAX at start-up, so each setting is its own process; the two alternate so load hits both alike. Writes
bench/results_memory_drift.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .common import REPO, machine, median, write_json

CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, "inference_container")
from bench.common import shipped_classifier, shipped_detector
from videoalert_inference.scoring import ScoringRequest, score_clip
from videoalert_inference.settings import InferenceSettings
from videoalert.domain.rule import Rule

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

model_dir, clip, clips = sys.argv[1], sys.argv[2], int(sys.argv[3])
classifier, _ = shipped_classifier(model_dir)
# the handler's settings as the environment gives them (the stack sets the one-vCPU ones: infra/inference.py)
settings = InferenceSettings.from_env({**os.environ, "MODEL_DIR": model_dir})
request = ScoringRequest(1.0, 120, **dict(settings.scoring_options(), regions=Rule().regions))
detector = shipped_detector(model_dir)
data = Path(clip).read_bytes()
after_init = rss_mb()
rss, seconds = [], []
for _ in range(clips):
    t0 = time.perf_counter()
    score_clip(data, classifier, request, detector=detector)
    seconds.append(time.perf_counter() - t0)
    rss.append(rss_mb())
print(json.dumps({"after_init_mb": after_init, "rss_mb": rss, "seconds": seconds}))
"""

SETTINGS = {"glibc default arenas": None, "MALLOC_ARENA_MAX=2": "2"}


def child(model_dir: Path, clip: Path, clips: int, arenas: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    if arenas is not None:
        env["MALLOC_ARENA_MAX"] = arenas
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "lambdas"), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", CHILD, str(model_dir), str(clip), str(clips)], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_memory_drift.json")
    args = parser.parse_args(argv)
    from .clips import CLIP_640

    started = time.perf_counter()
    runs: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    for _ in range(args.pairs):
        for name, arenas in SETTINGS.items():
            runs[name].append(child(args.model_dir, CLIP_640, args.clips, arenas))
    summary = {}
    for name, results in runs.items():
        # drift: from the first clip's RSS (buffers the first clip makes are the function's working set) to the last
        summary[name] = {
            "rss_after_first_clip_mb": round(median([r["rss_mb"][0] for r in results]), 1),
            "rss_after_last_clip_mb": round(median([r["rss_mb"][-1] for r in results]), 1),
            "drift_mb": round(median([r["rss_mb"][-1] - r["rss_mb"][0] for r in results]), 1),
            "seconds_per_clip": round(median([median(r["seconds"][1:]) for r in results]), 3),
        }
        print(f"{name:<22} after 1 clip {summary[name]['rss_after_first_clip_mb']:>6.1f} MB, after {args.clips}: "
              f"{summary[name]['rss_after_last_clip_mb']:>6.1f} MB (drift {summary[name]['drift_mb']:+.1f} MB), "
              f"{summary[name]['seconds_per_clip']:.3f} s a clip", flush=True)
    write_json(args.out, {"machine": machine(), "clips": args.clips, "pairs": args.pairs, "clip": str(CLIP_640),
                          "summary": summary, "runs": runs, "elapsed_s": round(time.perf_counter() - started, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
