"""Labelled videos -> images in the <root>/<split>/<class>/ layout the training code reads, plus manifest.csv and
SOURCES.csv (each file's provenance and sha256, as the shared real data's folders give theirs).

Whole-frame records give their top frames; detect-mode records (top embeddings with boxes) give the regions the
classifier judged, cropped as the inference crops them (videoalert_inference.regions.crop_box): a false positive's
top regions are all not a person, a person's only those at or over the record's threshold (the others may be
background beside the person)."""
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
MANIFEST_COLUMNS = ("path", "split", "class", "label", "video_id", "camera_id", "t", "score", "model_version", "tags",
                    "box")
# The shared real data's SOURCES.csv columns (training/videoalert_training/real_data.py reads file and sha256), then
# where in the product the image came from.
SOURCES_COLUMNS = ("file", "source", "path", "commit_or_version", "licence", "what_it_shows", "size", "sha256",
                   "label", "video_id", "camera_id", "t", "box")


@dataclass(frozen=True)
class FrameTarget:
    t: float
    score: float
    box: tuple[float, ...] | None = None  # detect mode: the region (fractions of the frame); None: the whole frame


def split_of(video_id: str, validation_percent: int) -> str:
    """Deterministic by video: every frame of a video lands in the same split, on every export."""
    bucket = int(hashlib.sha256(video_id.encode()).hexdigest()[:8], 16) % 100
    return "validation" if bucket < validation_percent else "train"


def frame_targets(record: Mapping[str, Any], n: int) -> list[FrameTarget]:
    """The frames (or regions) the decision rested on: the embedded top frames or regions, else the highest-scoring
    sampled frames. A person's regions under the record's threshold are left out (not the person)."""
    from videoalert.domain.embeddings import decode_box

    tops = list(record.get("top_embeddings") or [])
    boxed = bool(tops) and all(t.get("box") for t in tops)
    if boxed and record.get("label") == Label.TRUE_POSITIVE.value:
        threshold = float(record.get("threshold") or 0.5)
        tops = [t for t in tops if float(t["score"]) >= threshold] or tops[:1]
    chosen = tops or sorted(record.get("frame_scores") or [], key=lambda f: (-float(f["score"]), float(f["t"])))
    targets = [FrameTarget(round(float(f["t"]), 3), float(f["score"]),
                           tuple(decode_box(f["box"])) if boxed else None) for f in chosen][:n]
    return sorted(set(targets), key=lambda f: (f.t, f.box or ()))


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
        for n, target in enumerate(targets):
            image = images.get(target.t)
            if image is None:
                continue
            name = f"{record['video_id']}_t{target.t:07.2f}"
            if target.box is not None:
                image, name = region_crop(image, target.box), f"{name}_r{n:02d}"
            path = out_dir / split / folder / f"{name}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            image.convert("RGB").save(path, quality=95)
            rows.append({"path": str(path.relative_to(out_dir)), "split": split, "class": folder, "label": label,
                         "video_id": record["video_id"], "camera_id": record["camera_id"], "t": target.t,
                         "score": round(target.score, 4), "model_version": record.get("model_version"),
                         "tags": ";".join(record.get("label_tags") or []),
                         "box": "" if target.box is None else " ".join(f"{v:.4f}" for v in target.box),
                         "_source": f"s3://{record['s3_bucket']}/{record['s3_key']}", "_size": image.size,
                         "_sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    with (out_dir / "manifest.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    write_sources(rows, out_dir / "SOURCES.csv")
    for row in rows:
        for key in ("_source", "_size", "_sha256"):
            row.pop(key)
    return rows


def region_crop(image: Image.Image, box: Sequence[float]) -> Image.Image:
    """The region as the inference cuts it from the full frame (padding and aspect of regions.crop_box)."""
    from videoalert_inference.regions import crop_box

    b = crop_box(box, image.width, image.height)
    return image.crop((b.x0, b.y0, b.x1, b.y1))


def write_sources(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Each exported image's provenance: the clip it was cut from, the model that judged it, the label, its sha256."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SOURCES_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            what = f"{row['label']} ({row['class']}) labelled by a user" + (f": {row['tags']}" if row["tags"] else "")
            writer.writerow({"file": row["path"], "source": "videoalert export-dataset", "path": row["_source"],
                             "commit_or_version": row["model_version"] or "",
                             "licence": "the camera owner's footage (their own labels)", "what_it_shows": what,
                             "size": "x".join(str(v) for v in row["_size"]), "sha256": row["_sha256"],
                             "label": row["label"], "video_id": row["video_id"], "camera_id": row["camera_id"],
                             "t": row["t"], "box": row["box"]})
