"""HTML report of a local run: a summary table (expected against actual), then per video, alerts first, the
score over time with the threshold and the best frame with the scored region drawn on it."""
from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .results import PERSON_LABELS, LocalRunResult

ORDER = {"ALERT": 0, "COOLDOWN": 1, "SUPPRESSED": 2, "NO_ALERT": 3}


def _plot_png(record: dict[str, Any], label: str | None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = record.get("frame_scores") or []
    fig, ax = plt.subplots(figsize=(7, 2.4), dpi=100)
    ax.plot([f["t"] for f in frames], [f["score"] for f in frames], marker=".", lw=1.2, ls="none" if any(
        f.get("region", "full") != "full" for f in frames) else "-", label="person score")
    if record.get("threshold") is not None:
        ax.axhline(float(record["threshold"]), color="red", ls="--", lw=1,
                   label=f"threshold {float(record['threshold']):.3f}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("seconds into the clip")
    ax.set_ylabel("score")
    ax.set_title(f"{record['video_id']}  {record.get('decision') or record.get('status')}"
                 + (f"  (label: {label})" if label else ""), fontsize=9)
    ax.legend(loc="upper right", fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def frame_at(parts: list[bytes], t: float) -> Any | None:
    """The decoded frame nearest to t seconds of a clip given as consecutive parts (time continues across
    parts, as the inference function counts it), as a BGR array; None if nothing decodes."""
    import av

    best, best_gap, offset = None, None, 0.0
    for part in parts:
        end = offset
        try:
            container: Any
            with av.open(io.BytesIO(part)) as container:
                for frame in container.decode(video=0):
                    if frame.time is None:
                        continue
                    at = offset + frame.time
                    end = max(end, at)
                    gap = abs(at - t)
                    if best_gap is None or gap < best_gap:
                        best, best_gap = frame.to_ndarray(format="bgr24"), gap
                    elif at > t:
                        return best
        except (av.FFmpegError, IndexError, OSError):
            return best
        offset = end + 1e-3
    return best


def best_frame_jpeg(parts: list[bytes], score: dict[str, Any], max_width: int = 480,
                    rule: dict[str, Any] | None = None) -> bytes | None:
    """The best-scoring frame with its scored region outlined (the whole frame when the score is of it), and the
    rule's zones (green) and masks (grey, hatched out) drawn over it."""
    import cv2
    import numpy as np

    image = frame_at(parts, float(score["t"]))
    if image is None:
        return None
    h, w = image.shape[:2]
    if w > max_width:
        image = cv2.resize(image, (max_width, int(h * max_width / w)), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    names = list((rule or {}).get("zone_names") or ())
    for name, color in (("zones", (113, 204, 46)), ("masks", (90, 90, 90))):
        for index, poly in enumerate((rule or {}).get(name) or ()):
            points = np.array([[int(x * (w - 1)), int(y * (h - 1))] for x, y in poly], dtype=np.int32)
            if name == "masks":
                shaded = image.copy()
                cv2.fillPoly(shaded, [points], color)
                image = cv2.addWeighted(shaded, 0.55, image, 0.45, 0)
            cv2.polylines(image, [points], True, color, 2, cv2.LINE_AA)
            if name == "zones":  # its name (as the review page shows it) at its centre
                label = (names[index] if index < len(names) else "") or f"zone {index + 1}"
                centre = (int(points[:, 0].mean()), int(points[:, 1].mean()))
                cv2.putText(image, label, centre, cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1, cv2.LINE_AA)
    box = score.get("box")
    x0, y0, x1, y1 = (0.0, 0.0, 1.0, 1.0) if not box else (float(v) for v in box)
    p0 = (int(x0 * (w - 1)), int(y0 * (h - 1)))
    p1 = (int(x1 * (w - 1)), int(y1 * (h - 1)))
    cv2.rectangle(image, p0, p1, (0, 0, 255), 2)
    text = f"{score.get('region', 'full')} {float(score['score']):.3f}"
    cv2.putText(image, text, (p0[0] + 4, p0[1] + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 255), 1, cv2.LINE_AA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return jpeg.tobytes() if ok else None


def _anchor(record: dict[str, Any]) -> str:
    return "v-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in record["video_id"])


def _expected(label: str | None) -> str:
    return "" if label is None else ("ALERT" if label in PERSON_LABELS else "no alert")


def _linked(text: str) -> str:
    """The alert's text, escaped, its links clickable."""
    return re.sub(r"(https?://\S+)", lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', html.escape(text))


def _section(record: dict[str, Any], result: LocalRunResult,
             read_clip: Callable[[dict[str, Any]], list[bytes]]) -> str:
    """One video's section: its decision, the score over time, the best frame with the scored region."""
    esc = html.escape
    name, label = result.file_of(record), result.expected.get(result.file_of(record))
    parts = [
        f"<h2 id='{_anchor(record)}'>{esc(name or record['video_id'])} <small>{esc(result.path_of(record))} path"
        f" &middot; {esc(record['video_id'])} &middot; window {esc(str(record.get('window_start')))}</small></h2>",
        f"<p><b>{esc(str(record.get('status')))}</b> {esc(str(record.get('decision') or ''))}"
        f" &middot; max score {float(record.get('max_score') or 0):.3f}"
        f" &middot; {esc(str(record.get('decision_reason') or record.get('reason_detail') or ''))}</p>",
    ]
    frames = record.get("frame_scores") or []
    if frames:
        png = base64.b64encode(_plot_png(record, label)).decode()
        parts.append(f'<img alt="score over time" src="data:image/png;base64,{png}">')
        best = max(frames, key=lambda f: f["score"])
        jpeg = best_frame_jpeg(read_clip(record), best, rule=record.get("rule"))
        if jpeg:
            where = "whole frame" if not best.get("box") else f"{best.get('region')} {best['box']}"
            parts.append(
                f'<figure><img alt="best frame" src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}">'
                f"<figcaption>best frame: t={float(best['t']):.1f} s, score {float(best['score']):.3f}, "
                f"scored region: {esc(where)}</figcaption></figure>")
    return f"<section>{''.join(parts)}</section>"


def write_report(result: LocalRunResult, out_dir: Path,
                 read_clip: Callable[[dict[str, Any]], list[bytes]]) -> Path:
    """report.html in out_dir; read_clip(record) gives the stored clip's parts (what was scored)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records = sorted(result.records, key=lambda r: (ORDER.get(r.get("decision") or "", 9), result.path_of(r),
                                                    result.file_of(r)))
    esc = html.escape
    rows = []
    for record in records:
        name, label = result.file_of(record), result.expected.get(result.file_of(record))
        decision = record.get("decision") or record.get("status")
        ok = "" if label is None else ("yes" if (decision == "ALERT") == (label in PERSON_LABELS) else "<b>NO</b>")
        rows.append(
            f"<tr><td><a href='#{_anchor(record)}'>{esc(name or record['video_id'])}</a></td>"
            f"<td>{esc(result.path_of(record))}</td><td>{esc(record['video_id'])}</td>"
            f"<td>{esc(str(label or ''))}</td><td>{esc(_expected(label))}</td><td>{esc(str(decision))}</td>"
            f"<td>{ok}</td><td>{float(record.get('max_score') or 0):.3f}</td>"
            f"<td>{record.get('frames_over_threshold', '')}</td></tr>")
    sections = [_section(record, result, read_clip) for record in records]
    by_video = {r["video_id"]: r for r in records}
    alerts = "".join(
        (f"<li><a href='#{_anchor(by_video[a['body']['video_id']])}'>{esc(a['subject'] or '')}</a> "
         f"({esc(a['body']['video_id'])})" if a["body"]["video_id"] in by_video else
         f"<li>{esc(a['subject'] or '')} ({esc(a['body']['video_id'])})")
        + (f"<details><summary>the alert's text and links</summary><pre class='alert'>{_linked(a['body']['text'])}"
           "</pre></details>" if a["body"].get("text") else "") + "</li>" for a in result.alerts)
    checks = result.checks()
    verdict = ", ".join(f"{p} path {sum(c.ok for c in checks if c.path == p)}/{sum(c.path == p for c in checks)}"
                        for p in ("upload", "camera") if any(c.path == p for c in checks))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>videoalert local run</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
table{{border-collapse:collapse}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}
section{{border-top:1px solid #ccc;padding:.5em 0}}
section img{{vertical-align:top;margin-right:1em}}
pre.alert{{white-space:pre-wrap;overflow-wrap:anywhere}}
figure{{display:inline-block;margin:0}} small{{color:#777}}</style>
</head><body><h1>videoalert local run</h1>
<p>{len(records)} video(s) by the upload and camera paths, {len(result.alerts)} alert(s)
{f"; against labels.csv: {esc(verdict)} as expected (alert where a person is)" if verdict else ""}</p>
<table><tr><th>file</th><th>path</th><th>video</th><th>label</th><th>expected</th><th>decision</th><th>as expected</th>
<th>max score</th><th>frames &ge; thr</th></tr>{"".join(rows)}</table>
<h2>Alerts</h2><ul>{alerts or "<li>none</li>"}</ul>{"".join(sections)}</body></html>"""
    path = out_dir / "report.html"
    path.write_text(page)
    return path
