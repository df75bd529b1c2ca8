"""The inference function's memory size from a measured curve: time and cost per clip at 1,769 / 2,048 / 3,008 MB.

Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB (so 1.16 at 2,048 and 1.70 at 3,008), enforced as a
CFS quota. Emulated the same way here: each measurement runs in a child process placed in a cgroup (v1 `cpu`
controller) whose cfs_quota_us is that share of a 100 ms period, with the handler's settings for the size
(`handler_env`), on the real clip path (the default request: regions "detect", the released models). The machine's
two cores are shared with other work, so a child may get less than its quota: the load and the time the quota
throttled it are recorded with each figure. Cost per clip = GB configured x seconds billed x the GB-s price, plus
the request price.

On a busy machine the measured wall time is mostly other work's, not the quota's (see throttled_s), so the cost is
also given from the CPU time, which load hardly moves: a quota of s vCPUs runs a clip in at least cpu_s / s (the
parallel settings), and a single-threaded one (the one-vCPU settings) in cpu_s / min(s, 1). Lambda bills memory in
proportion to the same share, so a CPU-bound clip costs the same per CPU-second at every size: a larger size buys
latency, and costs whatever CPU its threads add.

    python -m bench.lambda_sizes --rounds 3
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from .common import REPO, machine, median

SIZES_MB = (1769, 2048, 3008)
MB_PER_VCPU = 1769
CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000
# Lambda list prices, us-east-1, from memory (no internet here; last seen on the AWS Lambda pricing page in 2025):
# check them before budgeting. Per GB-second of the first 6 billion GB-s a month, and per request.
PRICES_AS_OF = "2025 (us-east-1 list prices from memory, not re-read: check them)"
GB_S_PRICE = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
REQUEST_PRICE = 0.20 / 1e6
ONE_VCPU_ENV = {"DECODER_WORKERS": "1", "INFERENCE_WORKERS": "1", "PIPELINE": "off"}


def vcpus(memory_mb: int) -> float:
    return memory_mb / MB_PER_VCPU


def handler_env(memory_mb: int) -> dict[str, str]:
    """The inference settings the stack gives the function at this size (infra/inference.py scoring_environment):
    under 1.5 vCPU the sequential path (one decoder, no pipeline), else the parallel one (InferenceSettings')."""
    return dict(ONE_VCPU_ENV) if vcpus(memory_mb) < 1.5 else {}


def child(clip: str, runs: int) -> dict:
    """In the cgroup already: load the models as the handler does, score the clip once to warm up, then time it."""
    from videoalert_inference.detector import load_detector
    from videoalert_inference.model import load_classifier
    from videoalert_inference.scoring import score_clip
    from videoalert_inference.settings import InferenceSettings

    settings = InferenceSettings.from_env({**os.environ, "MODEL_DIR": str(REPO / "models")})
    classifier = load_classifier(settings.model_dir, settings.model_file, intra_op_threads=settings.ort_threads,
                                 encoding=settings.model_encoding)
    detector = load_detector(settings.model_dir, intra_op_threads=settings.ort_threads)
    data = Path(clip).read_bytes()
    request = settings.scoring_request(None)
    score_clip(data, classifier, request, detector=detector)
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        score_clip(data, classifier, request, detector=detector)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return {"wall_s": wall, "cpu_s": cpu, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _cgroup(memory_mb: int) -> Path:
    group = CGROUP_CPU / f"videoalert-bench-{memory_mb}mb"
    group.mkdir(exist_ok=True)
    (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
    (group / "cpu.cfs_quota_us").write_text(str(round(vcpus(memory_mb) * PERIOD_US)))
    return group


def _throttled_s(group: Path) -> float:
    stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
    return int(stat.get("throttled_time", 0)) / 1e9


def measure(memory_mb: int, clip: Path, runs: int, extra_env: dict[str, str] | None = None) -> dict:
    """One child process in the size's cgroup (it joins before importing anything, so every thread is in it)."""
    group = _cgroup(memory_mb)
    env = {**os.environ, **handler_env(memory_mb), **(extra_env or {})}
    code = (f"import os, json, sys; open('{group}/cgroup.procs', 'w').write(str(os.getpid()));"
            f"from bench.lambda_sizes import child; print(json.dumps(child({str(clip)!r}, {runs})))")
    throttled = _throttled_s(group)
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(load_1m=round(load, 2), throttled_s=round(_throttled_s(group) - throttled, 2))
    return result


def run(rounds: int, runs: int) -> dict:
    from .camera_clips import cpu_clips

    clips = {k: v for k, v in cpu_clips().items() if "human_01:" not in k}  # the camera-shaped clips
    configs = {f"{mb} MB ({vcpus(mb):.2f} vCPU)": (mb, None) for mb in SIZES_MB}
    configs["1769 MB, the two-vCPU settings"] = (1769, {"DECODER_WORKERS": "2", "INFERENCE_WORKERS": "2",
                                                         "PIPELINE": "on"})
    samples: dict = {c: {k: [] for k in configs} for c in clips}
    for _ in range(rounds):  # interleaved: each round measures every size on every clip
        for name, path in clips.items():
            for label, (mb, env) in configs.items():
                samples[name][label].append(measure(mb, path, runs, env))
    results: dict = {"machine_before": machine(), "prices": PRICES_AS_OF, "rounds": rounds, "runs": runs, "clips": {}}
    for name in clips:
        rows = {}
        for label, (mb, _) in configs.items():
            got = samples[name][label]
            wall = median([w for g in got for w in g["wall_s"]])
            cpu = median([c for g in got for c in g["cpu_s"]])
            sequential = (env or handler_env(mb)).get("PIPELINE") == "off"
            quota_wall = cpu / (min(vcpus(mb), 1.0) if sequential else vcpus(mb))
            rows[label] = {
                "median_cpu_s": round(cpu, 3),
                "quota_bound_wall_s": round(quota_wall, 3),
                "median_wall_s_measured": round(wall, 3),
                "cost_per_1k_clips_usd": {arch: round(1000 * (mb / 1024 * quota_wall * price + REQUEST_PRICE), 4)
                                          for arch, price in GB_S_PRICE.items()},
                "cost_per_1k_clips_usd_at_measured_wall": round(
                    1000 * (mb / 1024 * wall * GB_S_PRICE["x86_64"] + REQUEST_PRICE), 4),
                "max_rss_mb": round(max(g["max_rss_mb"] for g in got)),
                "throttled_s": [g["throttled_s"] for g in got],
                "load_1m": [g["load_1m"] for g in got],
            }
        results["clips"][name] = rows
    results["machine_after"] = machine()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=2, help="timed clips per child process")
    args = parser.parse_args()
    print(json.dumps(run(args.rounds, args.runs), indent=2))


if __name__ == "__main__":
    main()
