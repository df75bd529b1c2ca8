"""The daily review sample: which clips a person should look at, where they go, and the manifest rows."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping

from videoalert.domain.rule import SUPPRESSED
from videoalert_contract.names import REVIEW_PREFIX

NEAR_THRESHOLD = "near_threshold"
SUPPRESSED_REASON = "suppressed"
BEST_FRAMES = 3
MANIFEST_COLUMNS = ("video_id", "camera_id", "window_start", "why", "decision", "rule_decision", "deciding_score",
                    "max_score", "threshold", "rule_version", "model_version", "label", "tags", "suppressed_by",
                    "suppressed_distance", "cooldown_of", "best_frames", "location", "source")


@dataclass(frozen=True)
class Sampled:
    record: dict
    why: str  # near_threshold | suppressed


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    return start, start + timedelta(days=1) - timedelta(seconds=1)


def day_prefix(day: date) -> str:
    return f"{REVIEW_PREFIX}{day:%Y/%m/%d}/"


def select(records: Iterable[Mapping], *, band: float) -> list[Sampled]:
    """Every SUPPRESSED clip, and every decided clip whose deciding score is within band of its threshold."""
    out = []
    for record in records:
        if record.get("status") != "DONE" or record.get("decision") is None:
            continue
        if record["decision"] == SUPPRESSED:
            out.append(Sampled(dict(record), SUPPRESSED_REASON))
        elif abs(float(record.get("deciding_score", -1.0)) - float(record.get("threshold", 0.5))) <= band:
            out.append(Sampled(dict(record), NEAR_THRESHOLD))
    return sorted(out, key=lambda s: s.record["video_id"])


def review_keys(day: date, record: Mapping) -> list[tuple[str, str]]:
    """(source key in the video bucket, key in the review bucket) for every part of the clip."""
    sources = [record["s3_key"], *(record.get("more_keys") or [])]
    base = f"{day_prefix(day)}{record['camera_id']}/{record['video_id']}"
    return [(src, f"{base}.mp4" if i == 0 else f"{base}.part{i + 1}.mp4") for i, src in enumerate(sources)]


def best_frames(record: Mapping, n: int = BEST_FRAMES) -> list[dict]:
    """The clip's highest-scoring sampled frames (time in seconds, score): where a reviewer should look."""
    frames = sorted(record.get("frame_scores") or [], key=lambda f: (-float(f["score"]), float(f["t"])))[:n]
    return [{"t": float(f["t"]), "score": round(float(f["score"]), 4)} for f in frames]


def manifest_row(sample: Sampled, *, day: date, review_bucket: str, video_bucket: str) -> dict:
    record = sample.record
    suppressed = record.get("suppressed_by") or {}
    keys = review_keys(day, record)
    return {
        "video_id": record["video_id"], "camera_id": record["camera_id"], "window_start": record.get("window_start"),
        "why": sample.why, "decision": record.get("decision"), "rule_decision": record.get("rule_decision"),
        "deciding_score": round(float(record.get("deciding_score", 0.0)), 4),
        "max_score": round(float(record.get("max_score", 0.0)), 4),
        "threshold": round(float(record.get("threshold", 0.0)), 4), "rule_version": record.get("rule_version"),
        "model_version": record.get("model_version"), "label": record.get("label"),
        "tags": list(record.get("label_tags") or []), "suppressed_by": suppressed.get("video_id"),
        "suppressed_distance": suppressed.get("distance"), "cooldown_of": record.get("cooldown_of"),
        "best_frames": best_frames(record),
        "location": f"s3://{review_bucket}/{keys[0][1]}",
        "source": f"s3://{video_bucket}/{record['s3_key']}",
    }


def manifest_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()


def manifest_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["tags"] = ";".join(row["tags"])
        flat["best_frames"] = ";".join(f"{f['t']:g}s@{f['score']:.3f}" for f in row["best_frames"])
        writer.writerow({k: "" if flat.get(k) is None else flat[k] for k in MANIFEST_COLUMNS})
    return buffer.getvalue().encode()
