"""Plain-text tables and summaries for the terminal."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from videoalert.domain.ids import parse_iso


def parse_since(text: str) -> datetime:
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
        return datetime.now(UTC) - delta
    return parse_iso(text)


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_score(value) -> str:
    return "" if value is None else f"{float(value):.3f}"


def video_table(records: list[dict], label_of=None) -> str:
    headers = ["video_id", "camera", "window_start", "status", "decision", "max_score", "frames>=thr", "threshold",
               "reason"]
    rows = []
    for r in records:
        frames = r.get("frame_scores") or []
        over = r.get("frames_over_threshold")
        rows.append([r.get("video_id"), r.get("camera_id"), r.get("window_start"), r.get("status"), r.get("decision"),
                     fmt_score(r.get("max_score")), "" if over is None else f"{over}/{len(frames)}",
                     fmt_score(r.get("threshold")), r.get("reason") or ""])
    if label_of:
        headers.insert(1, "file")
        for row, r in zip(rows, records, strict=True):
            row.insert(1, label_of(r))
    return table(headers, rows)


def record_summary(record: dict) -> str:
    keys = ["video_id", "camera_id", "source", "window_start", "window_end", "status", "reason", "reason_detail",
            "decision", "decision_reason", "max_score", "threshold", "rule", "model_version", "s3_bucket", "s3_key",
            "alert_message_id", "alert_sent_at", "created_at", "updated_at", "attempts", "timings_ms"]
    lines = [f"{k:>18}: {record[k]}" for k in keys if record.get(k) not in (None, "", [])]
    scores = record.get("frame_scores") or []
    if scores:
        spark = "".join(" .:-=+*#%@"[min(9, int(float(f["score"]) * 10))] for f in scores)
        lines.append(f"{'frame scores':>18}: [{spark}] ({len(scores)} frames, one char per frame, @ = 1.0)")
    return "\n".join(lines)
