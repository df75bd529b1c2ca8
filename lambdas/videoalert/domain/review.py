"""The daily review sample: which clips a person should look at, where they go, and the manifest rows."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from videoalert.domain.ids import iso
from videoalert.domain.records import VideoRecord
from videoalert.domain.types import Decision, Status
from videoalert_contract.names import REVIEW_PREFIX

NEAR_THRESHOLD = "near_threshold"
SUPPRESSED_REASON = "suppressed"
BEST_FRAMES = 3
MANIFEST_COLUMNS = ("video_id", "camera_id", "window_start", "why", "decision", "rule_decision", "deciding_score",
                    "max_score", "threshold", "rule_version", "model_version", "label", "tags", "suppressed_by",
                    "suppressed_distance", "cooldown_of", "best_frames", "location", "source")


@dataclass(frozen=True)
class Sampled:
    record: VideoRecord
    why: str  # near_threshold | suppressed


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=UTC)
    return start, start + timedelta(days=1) - timedelta(seconds=1)


def day_prefix(day: date) -> str:
    return f"{REVIEW_PREFIX}{day:%Y/%m/%d}/"


def select(records: Iterable[VideoRecord], *, band: float) -> list[Sampled]:
    """Every SUPPRESSED clip, and every decided clip whose deciding score is within band of its threshold."""
    out = []
    for record in records:
        if record.status != Status.DONE or record.decision is None:
            continue
        if record.decision == Decision.SUPPRESSED:
            out.append(Sampled(record, SUPPRESSED_REASON))
        elif abs(_or(record.deciding_score, -1.0) - _or(record.threshold, 0.5)) <= band:
            out.append(Sampled(record, NEAR_THRESHOLD))
    return sorted(out, key=lambda s: s.record.video_id)


def review_keys(day: date, record: VideoRecord) -> list[tuple[str, str]]:
    """(source key in the video bucket, key in the review bucket) for every part of the clip."""
    base = f"{day_prefix(day)}{record.camera_id}/{record.video_id}"
    return [(src, f"{base}.mp4" if i == 0 else f"{base}.part{i + 1}.mp4") for i, src in enumerate(record.keys)]


def best_frames(record: VideoRecord, n: int = BEST_FRAMES) -> list[dict[str, float]]:
    """The clip's highest-scoring sampled frames (time in seconds, score): where a reviewer should look."""
    frames = sorted(record.frame_scores or (), key=lambda f: (-f.score, f.t))[:n]
    return [{"t": f.t, "score": round(f.score, 4)} for f in frames]


def manifest_row(sample: Sampled, *, day: date, review_bucket: str, video_bucket: str) -> dict[str, Any]:
    record = sample.record
    suppressed = record.suppressed_by
    keys = review_keys(day, record)
    return {
        "video_id": record.video_id, "camera_id": record.camera_id, "window_start": iso(record.window_start),
        "why": sample.why, "decision": _text(record.decision), "rule_decision": _text(record.rule_decision),
        "deciding_score": round(_or(record.deciding_score, 0.0), 4),
        "max_score": round(_or(record.max_score, 0.0), 4),
        "threshold": round(_or(record.threshold, 0.0), 4), "rule_version": record.rule_version,
        "model_version": record.model_version, "label": _text(record.label),
        "tags": list(record.label_tags or []), "suppressed_by": suppressed.video_id if suppressed else None,
        "suppressed_distance": round(suppressed.distance, 5) if suppressed else None,
        "cooldown_of": record.cooldown_of,
        "best_frames": best_frames(record),
        "location": f"s3://{review_bucket}/{keys[0][1]}",
        "source": f"s3://{video_bucket}/{record.s3_key}",
    }


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _text(value: object) -> str | None:
    """An enum's text for the manifest (None stays None)."""
    return None if value is None else str(value)


def manifest_jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()


def manifest_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["tags"] = ";".join(row["tags"])
        flat["best_frames"] = ";".join(f"{f['t']:g}s@{f['score']:.3f}" for f in row["best_frames"])
        writer.writerow({k: "" if flat.get(k) is None else flat[k] for k in MANIFEST_COLUMNS})
    return buffer.getvalue().encode()
