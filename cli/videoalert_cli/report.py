"""HTML report of a local run: per video, the score over time with the threshold, and its best frame."""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path


def _plot_png(record: dict, label: str | None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = record.get("frame_scores") or []
    fig, ax = plt.subplots(figsize=(7, 2.4), dpi=100)
    ax.plot([f["t"] for f in frames], [f["score"] for f in frames], marker=".", lw=1.2, label="person score")
    if record.get("threshold") is not None:
        ax.axhline(
            float(record["threshold"]), color="red", ls="--", lw=1, label=f"threshold {float(record['threshold']):.3f}"
        )
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("seconds into the clip")
    ax.set_ylabel("score")
    ax.set_title(
        f"{record['video_id']}  {record.get('decision') or record.get('status')}"
        + (f"  (label: {label})" if label else ""),
        fontsize=9,
    )
    ax.legend(loc="upper right", fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def best_frame_jpeg(video: Path, t: float, max_width: int = 480) -> bytes | None:
    """The decoded frame nearest to t seconds, as a JPEG (None if the video cannot be read)."""
    import av
    import cv2

    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            best, best_gap = None, None
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                gap = abs(frame.time - t)
                if best_gap is None or gap < best_gap:
                    best, best_gap = frame.to_ndarray(format="bgr24"), gap
                elif frame.time > t:
                    break
    except (av.error.FFmpegError, IndexError, OSError):
        return None
    if best is None:
        return None
    h, w = best.shape[:2]
    if w > max_width:
        best = cv2.resize(best, (max_width, int(h * max_width / w)), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", best, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return jpeg.tobytes() if ok else None


def write_report(result, out_dir: Path, files: dict[str, Path]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    file_of = {key: name for name, key in result.uploads.items()}
    sections = []
    for record in result.records:
        name = file_of.get(record.get("upload_key"), record["video_id"])
        label = result.expected.get(name)
        parts = [
            f"<h2>{html.escape(name)} <small>{html.escape(record['video_id'])}</small></h2>",
            f"<p><b>{html.escape(str(record.get('status')))}</b> {html.escape(str(record.get('decision') or ''))}"
            f" &middot; max score {float(record.get('max_score') or 0):.3f}"
            f" &middot; {html.escape(str(record.get('decision_reason') or record.get('reason_detail') or ''))}</p>",
        ]
        frames = record.get("frame_scores") or []
        if frames:
            png = base64.b64encode(_plot_png(record, label)).decode()
            parts.append(f'<img alt="score over time" src="data:image/png;base64,{png}">')
            best = max(frames, key=lambda f: f["score"])
            jpeg = best_frame_jpeg(files[name], float(best["t"])) if name in files else None
            if jpeg:
                parts.append(
                    f'<figure><img alt="best frame" src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}">'
                    f"<figcaption>best frame: t={best['t']:.1f} s, score {best['score']:.3f}</figcaption></figure>"
                )
        sections.append(f"<section>{''.join(parts)}</section>")
    alerts = "".join(
        f"<li>{html.escape(a['subject'] or '')} ({html.escape(a['body']['video_id'])})</li>" for a in result.alerts
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>videoalert local run</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
section{{border-top:1px solid #ccc;padding:.5em 0}}
section img{{vertical-align:top;margin-right:1em}} figure{{display:inline-block;margin:0}} small{{color:#777}}</style>
</head><body><h1>videoalert local run</h1><p>{len(result.records)} video(s), {len(result.alerts)} alert(s)</p>
<ul>{alerts}</ul>{"".join(sections)}</body></html>"""
    path = out_dir / "report.html"
    path.write_text(page)
    return path
