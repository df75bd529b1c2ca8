"""Plain-text tables and summaries for the terminal."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

VIDEO_COLUMNS = ["video_id", "camera", "source", "window_start", "status", "decision", "max_score", "frames>=thr",
                 "threshold", "label", "reason"]


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_score(value: Any) -> str:
    return "" if value is None else f"{float(value):.3f}"


def frames_over(record: Mapping[str, Any]) -> str:
    """Sampled moments over the threshold / sampled moments (a moment may hold several regions' entries)."""
    over = record.get("frames_over_threshold")
    return "" if over is None else f"{over}/{len({f.get('t') for f in record.get('frame_scores') or []})}"


def video_table(records: list[dict[str, Any]],
                extra: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None) -> str:
    """One row per record; `extra` columns (name -> value of a record) come after video_id."""
    rows = []
    for r in records:
        rows.append([r.get("video_id"), r.get("camera_id"), r.get("source"), r.get("window_start"), r.get("status"),
                     r.get("decision"), fmt_score(r.get("max_score")), frames_over(r), fmt_score(r.get("threshold")),
                     r.get("label") or "", r.get("reason") or ""])
    headers = list(VIDEO_COLUMNS)
    for offset, (name, value_of) in enumerate((extra or {}).items(), start=1):
        headers.insert(offset, name)
        for row, record in zip(rows, records, strict=True):
            row.insert(offset, value_of(record))
    return table(headers, rows)


def timings_line(timings: Mapping[str, Any]) -> str:
    """total = the stages + other - overlap, in whole ms (the record keeps the tenths)."""
    from videoalert.domain.timings import STAGES, reconcile

    full = reconcile(timings) or {}
    if "total" not in full:
        return ", ".join(f"{k} {float(v):.0f} ms" for k, v in full.items())
    parts = [f"{name} {float(full[name]):.0f}" for name in STAGES if name in full]
    if full.get("other"):
        parts.append(f"other {float(full['other']):.0f}")
    text = f"total {float(full['total']):.0f} ms = " + " + ".join(parts)
    if full.get("overlap"):
        text += f" - {float(full['overlap']):.0f} overlap (stages on parallel threads)"
    return text


def record_summary(record: Mapping[str, Any]) -> str:
    keys = ["video_id", "camera_id", "source", "window_start", "window_end", "status", "reason", "reason_detail",
            "decision", "decision_reason", "max_score", "threshold", "label", "label_tags", "labelled_by",
            "labelled_at", "rule", "model_version", "s3_bucket", "s3_key", "alert_message_id", "alert_sent_at",
            "created_at", "updated_at", "attempts"]
    lines = [f"{k:>18}: {record[k]}" for k in keys if record.get(k) not in (None, "", [])]
    if record.get("timings_ms"):
        lines.append(f"{'timings':>18}: {timings_line(record['timings_ms'])}")
    scores = record.get("frame_scores") or []
    if scores:
        spark = "".join(" .:-=+*#%@"[min(9, int(float(f["score"]) * 10))] for f in scores)
        lines.append(f"{'frame scores':>18}: [{spark}] ({len(scores)} frames, one char per frame, @ = 1.0)")
    return "\n".join(lines)


def event_row(event: Any) -> dict[str, Any]:
    """An event (videoalert.domain.events.Event) as a row of `videoalert events` (and its JSON)."""
    from videoalert.domain.ids import iso

    best, entry = event.best, event.best_entry
    return {"start": iso(event.start), "end": iso(event.end), "camera": event.camera_id,
            "decision": event.decision.value, "minutes": len(event.minutes), "score": fmt_score(best.max_score),
            "label": event.label.value if event.label else "", "first_seen": iso(event.first_seen),
            "event": event.event_id, "best_video": best.video_id,
            "videos": [m.video_id for m in event.minutes],
            "box": list(entry.box) if entry is not None and entry.box is not None else None,
            "best_t": entry.t if entry is not None else None}
