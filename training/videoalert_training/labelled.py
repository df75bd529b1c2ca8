"""Images a deployment's users labelled, as `videoalert export-dataset` writes them: <root>/<split>/<class>/ with a
SOURCES.csv naming each file's clip, model, label and sha256 (the shared real data's provenance format)."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .data import POSITIVE_FOLDERS


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: int  # 1 = person (a "humans" folder), 0 = a user said not a person
    split: str  # "train" or "validation": the export's split, by video
    video_id: str
    camera_id: str
    source: str  # where the image was cut from (the clip's s3:// address)
    sha256: str


def list_labelled(root: str | Path, split: str | None = None) -> list[LabelledImage]:
    """Every image of the export (of one split, if given), each checked against its SOURCES.csv sha256."""
    root = Path(root)
    sources = root / "SOURCES.csv"
    if not sources.is_file():
        raise FileNotFoundError(f"{sources} is missing: expected a `videoalert export-dataset` folder")
    out = []
    with sources.open(newline="") as handle:
        for row in csv.DictReader(handle):
            parts = Path(row["file"]).parts
            if len(parts) < 3 or parts[0] not in ("train", "validation"):
                raise ValueError(f"{sources}: {row['file']} is not <split>/<class>/<file>")
            if split is not None and parts[0] != split:
                continue
            path = root / row["file"]
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            if actual != row["sha256"]:
                raise ValueError(f"{path}: sha256 {actual} does not match SOURCES.csv ({row['sha256']})")
            out.append(LabelledImage(path, int(parts[1] in POSITIVE_FOLDERS), parts[0], row["video_id"],
                                     row["camera_id"], row["path"], row["sha256"]))
    return sorted(out, key=lambda i: str(i.path))
