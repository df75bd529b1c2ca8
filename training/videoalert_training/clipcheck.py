"""Held-out check on whole camera frames: score every 1 fps frame of the developer clips, count frames over
threshold."""
from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from videoalert_inference.preprocess import resize_frame

Scorer = Callable[[list[np.ndarray]], np.ndarray]


def frames_at_fps(path: str | Path, fps: float = 1.0, input_size: int | None = None) -> list[tuple[float, np.ndarray]]:
    """The first decoded frame at or after each 1/fps tick, as (seconds, RGB uint8).

    With input_size, each frame goes from the decoder's YUV straight to the model's size, as in the container.
    """
    frames, next_t = [], 0.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is None or frame.time + 1e-6 < next_t:
                continue
            image = resize_frame(frame, input_size) if input_size else frame.to_ndarray(format="rgb24")
            frames.append((float(frame.time), image))
            next_t += 1.0 / fps
    return frames


def check_clips(clips_dir: str | Path, score: Scorer, threshold: float, min_frames: int = 2,
                input_size: int | None = None) -> dict:
    """Per clip: frames over threshold; the expectation is an alert (>= min_frames) exactly for human clips."""
    clips_dir = Path(clips_dir)
    with open(clips_dir / "labels.csv", newline="") as f:
        labels = {row["file"]: row["label"] for row in csv.DictReader(f)}
    result = {}
    for name, label in sorted(labels.items()):
        frames = frames_at_fps(clips_dir / name, input_size=input_size)
        scores = np.concatenate([score([img for _, img in frames[i:i + 16]]) for i in range(0, len(frames), 16)])
        over = int(np.sum(scores >= threshold))
        alert = over >= min_frames
        result[name] = {"label": label, "frames": len(frames), "frames_over_threshold": over,
                        "alert": alert, "expected_alert": label == "human", "ok": alert == (label == "human"),
                        "max_score": float(scores.max()), "scores": [round(float(s), 4) for s in scores]}
    return {"threshold": threshold, "min_frames": min_frames, "all_ok": all(r["ok"] for r in result.values()),
            "clips": result}


def format_clip_table(check: dict) -> str:
    lines = [f"clip-frame check at threshold {check['threshold']:.4f} (alert when >= {check['min_frames']} frames)",
             f"{'clip':<14}{'label':<7}{'frames':>7}{'over':>6}{'max':>8}  alert  expected"]
    for name, r in check["clips"].items():
        lines.append(f"{name:<14}{r['label']:<7}{r['frames']:>7}{r['frames_over_threshold']:>6}{r['max_score']:>8.3f}"
                     f"  {str(r['alert']):<5}  {str(r['expected_alert']):<5}{'' if r['ok'] else '  <-- WRONG'}")
    return "\n".join(lines)
