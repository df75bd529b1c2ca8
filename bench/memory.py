"""Peak memory of one process scoring the 1080p clip (what the Lambda memory size must cover)."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from .common import REPO, machine


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(model_dir: str, clip: str) -> dict:
    import boto3  # noqa: F401 - imported for its cost, which is what is measured

    from bench.common import shipped_classifier, shipped_detector
    from videoalert_inference import handler  # noqa: F401 - imported for its cost, which is what is measured
    from videoalert_inference.scoring import ScoringRequest, score_clip

    classifier, settings = shipped_classifier(model_dir)  # as the handler ships
    detector = shipped_detector(model_dir)
    data = Path(clip).read_bytes()  # the handler holds the downloaded clip in memory too
    after_init = _status_mb("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    result = score_clip(data, classifier, ScoringRequest(1.0, 120, **settings.scoring_options()), detector=detector)
    seconds = time.perf_counter() - started
    _, python_peak = tracemalloc.get_traced_memory()
    return {
        "rss_after_init_mb": round(after_init, 1),
        # VmHWM is this process's own high-water mark. ru_maxrss is not: Linux carries it over from the
        # parent through fork + exec, so a child of a big benchmark process reports the parent's peak.
        "peak_rss_mb": round(_status_mb("VmHWM"), 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python_heap_peak_mb": round(python_peak / 2**20, 1),  # numpy and Python objects; not FFmpeg/ORT buffers
        "frames": len(result.frames),
        "seconds_with_tracemalloc": round(seconds, 2),
    }


def run(model_dir, clip) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.memory", "--child", str(model_dir), str(clip)],
                          cwd=REPO, capture_output=True, text=True, check=True)
    return {"machine": machine(), "clip": str(clip), **json.loads(proc.stdout.strip().splitlines()[-1])}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(*sys.argv[2:4])))
    else:
        from .clips import clip_1080p30
        from .common import fast_model_dir
        print(json.dumps(run(fast_model_dir()[0], clip_1080p30()), indent=2))
