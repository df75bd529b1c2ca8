"""Labelled videos -> frames in the <root>/<split>/<class>/ layout the training code reads, plus manifest.csv."""
from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from PIL import Image

from videoalert.domain.types import Label

# The training loader takes `humans` as the positive class and every other folder as negative.
CLASS_FOLDERS = {Label.TRUE_POSITIVE.value: "humans", Label.FALSE_POSITIVE.value: "not_person"}
MANIFEST_COLUMNS = ("path", "split", "class", "label", "video_id", "camera_id", "t", "score", "model_version", "tags")


@dataclass(frozen=True)
class FrameTarget:
    t: float
    score: float


def split_of(video_id: str, validation_percent: int) -> str:
    """Deterministic by video: every frame of a video lands in the same split, on every export."""
    bucket = int(hashlib.sha256(video_id.encode()).hexdigest()[:8], 16) % 100
    return "validation" if bucket < validation_percent else "train"


def frame_targets(record: Mapping[str, Any], n: int) -> list[FrameTarget]:
    """The frames the decision rested on: the embedded top frames, else the highest-scoring sampled frames."""
    chosen = record.get("top_embeddings") or sorted(record.get("frame_scores") or [],
                                                      key=lambda f: (-float(f["score"]), float(f["t"])))
    targets = [FrameTarget(round(float(f["t"]), 3), float(f["score"])) for f in chosen][:n]
    return sorted(set(targets), key=lambda f: f.t)


def decode_at(parts: Sequence[bytes], times: Sequence[float]) -> dict[float, Image.Image]:
    """The decoded frame nearest each time (seconds from the clip start; parts continue one another)."""
    wanted = sorted(times)
    best: dict[float, tuple[float, Image.Image]] = {}
    offset = 0.0
    for data in parts:
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.video[0]
            last = offset
            for frame in container.decode(stream):
                if frame.pts is None or frame.time_base is None:
                    continue
                t = offset + float(frame.pts * frame.time_base)
                last = t
                for target in wanted:
                    gap = abs(t - target)
                    if target not in best or gap < best[target][0]:
                        best[target] = (gap, frame.to_image())  # type: ignore[no-untyped-call]  # PyAV's stub
            rate = float(stream.average_rate or 10)
            offset = last + 1.0 / rate
    return {t: image for t, (gap, image) in best.items()}


def export(records: Iterable[Mapping[str, Any]], fetch: Callable[[str, str], bytes], out_dir: Path, *,
           frames_per_video: int = 3, validation_percent: int = 20) -> list[dict[str, Any]]:
    """Write the frames of every labelled record; fetch(bucket, key) returns the clip bytes. Returns manifest rows."""
    out_dir = Path(out_dir)
    rows: list[dict[str, Any]] = []
    for record in sorted(records, key=lambda r: r["video_id"]):
        label = record.get("label")
        if label not in CLASS_FOLDERS:
            continue
        targets = frame_targets(record, frames_per_video)
        if not targets:
            continue
        keys = [record["s3_key"], *(record.get("more_keys") or [])]
        images = decode_at([fetch(record["s3_bucket"], k) for k in keys], [f.t for f in targets])
        split, folder = split_of(record["video_id"], validation_percent), CLASS_FOLDERS[label]
        for target in targets:
            image = images.get(target.t)
            if image is None:
                continue
            path = out_dir / split / folder / f"{record['video_id']}_t{target.t:07.2f}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            image.convert("RGB").save(path, quality=95)
            rows.append({"path": str(path.relative_to(out_dir)), "split": split, "class": folder, "label": label,
                         "video_id": record["video_id"], "camera_id": record["camera_id"], "t": target.t,
                         "score": round(target.score, 4), "model_version": record.get("model_version"),
                         "tags": ";".join(record.get("label_tags") or [])})
    with (out_dir / "manifest.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows
