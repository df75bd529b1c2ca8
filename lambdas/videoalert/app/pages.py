"""The small HTML pages of the one-tap links and the review page: plain HTML, inline CSS and SVG, no script, nothing
fetched from elsewhere but the presigned frame images. Pure functions of what the use cases return."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from videoalert.app.feedback import FeedbackResult
from videoalert.app.links import LABEL_PATH, REVIEW_PATH
from videoalert.app.one_tap import ReviewEvent, ReviewPage
from videoalert.domain.alert_message import local_time
from videoalert.domain.link_token import Action, LinkClaims
from videoalert.domain.records import VideoRecord
from videoalert_contract.zones import Polygon

STYLE = """
body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;max-width:760px;padding:12px;color:#222}
h1{font-size:1.3em;margin:.2em 0} h2{font-size:1.1em;margin:1.2em 0 .4em}
.event{border:1px solid #ccc;border-radius:8px;padding:10px;margin:10px 0}
.ALERT{border-left:6px solid #c0392b} .SUPPRESSED{border-left:6px solid #7f8c8d}
.COOLDOWN{border-left:6px solid #e67e22} .NO_ALERT{border-left:6px solid #27ae60}
.frame{position:relative;display:inline-block;max-width:100%} .frame img{display:block;max-width:100%}
.frame svg{position:absolute;inset:0;width:100%;height:100%}
.meta{color:#555;font-size:.9em} .tag{background:#eee;border-radius:4px;padding:1px 6px;font-size:.85em}
form{display:inline} button{font-size:1em;padding:10px 14px;margin:6px 6px 0 0;border-radius:6px;border:1px solid #888}
button.no{background:#fdecea} button.yes{background:#eafaf1}
"""


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def _when(record: VideoRecord, zone: str) -> str:
    local, label = local_time(record.window_start, zone)
    return f"{local:%a %d %b %Y %H:%M} ({escape(label)})"


def _label_text(action: Action | str) -> str:
    return "not a person" if str(action) == Action.FALSE_POSITIVE.value else "a person (correct)"


def confirm_page(record: VideoRecord | None, claims: LinkClaims, token: str) -> str:
    """GET of a label link: says what the tap will do and asks for one more tap (a POST). Mail scanners open links
    to check them; a GET that labelled would let them label, and spend the link."""
    what = _label_text(claims.action)
    about = "" if record is None else (
        f'<p class="meta">Camera {escape(record.camera_id)}, {_when(record, _zone(record))}, score '
        f'{record.max_score or 0:.2f}, decision {escape(str(record.decision or record.status))}</p>')
    form = (f'<form method="post" action="{LABEL_PATH}">'
            f'<input type="hidden" name="v" value="{escape(claims.subject)}">'
            f'<input type="hidden" name="t" value="{escape(token)}">'
            f'<button class="{"no" if claims.action == Action.FALSE_POSITIVE else "yes"}" type="submit">'
            f"Confirm: {escape(what)}</button></form>")
    return _page("Confirm feedback", f"<h1>Mark this clip as {escape(what)}?</h1>{about}"
                 f'<p class="meta">Video {escape(claims.subject)}</p>{form}')


def result_page(result: FeedbackResult, back: str | None = None) -> str:
    what = _label_text(result.label.value)
    change = ("Thank you: the camera learns from it." if result.changed else "It was already marked so.")
    memory = (f"<p class=\"meta\">Memory: {result.memory_added} frame(s) remembered, {result.memory_removed} "
              f"forgotten.</p>") if result.changed else ""
    link = f'<p><a href="{escape(back)}">Back to the review page</a></p>' if back else ""
    return _page("Feedback recorded", f'<h1 id="result">Marked as {escape(what)}</h1><p>{change}</p>{memory}'
                 f'<p class="meta">Video {escape(result.video_id)} on {escape(result.camera_id)}</p>{link}')


def message_page(title: str, message: str) -> str:
    return _page(title, f'<h1 id="result">{escape(title)}</h1><p>{escape(message)}</p>')


def _zone(record: VideoRecord) -> str:
    return record.rule.timezone if record.rule else "UTC"


def score_plot(record: VideoRecord, width: int = 360, height: int = 90) -> str:
    """Score over time as inline SVG: the best entry per moment, the threshold dashed."""
    best: dict[float, float] = {}
    for frame in record.frame_scores or ():
        best[frame.t] = max(frame.score, best.get(frame.t, 0.0))
    if not best:
        return ""
    span = max(max(best), 1.0)
    points = " ".join(f"{t / span * width:.1f},{(1 - s) * height:.1f}" for t, s in sorted(best.items()))
    threshold = record.threshold if record.threshold is not None else 0.5
    y = (1 - threshold) * height
    return (f'<svg class="plot" role="img" aria-label="score over time" width="{width}" height="{height + 14}" '
            f'viewBox="0 0 {width} {height + 14}"><rect width="{width}" height="{height}" fill="#fafafa" '
            f'stroke="#ddd"/><line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c0392b" '
            f'stroke-dasharray="4 3"/><polyline fill="none" stroke="#2c3e50" stroke-width="1.5" points="{points}"/>'
            f'<text x="0" y="{height + 12}" font-size="10">0 s</text><text x="{width - 40}" y="{height + 12}" '
            f'font-size="10">{span:.0f} s</text><text x="4" y="{max(10, y - 3):.0f}" font-size="10" fill="#c0392b">'
            f"threshold {threshold:.2f}</text></svg>")


def zones_overlay(zones: Sequence[Polygon], masks: Sequence[Polygon]) -> str:
    """Zones (green outline) and masks (grey) over a frame, in the frame's own fractions."""
    if not zones and not masks:
        return ""

    def shape(poly: Polygon, css: str) -> str:
        points = " ".join(f"{x},{y}" for x, y in poly)
        return f'<polygon class="{css}" points="{points}" vector-effect="non-scaling-stroke" {STYLES[css]}/>'

    shapes = "".join(shape(p, "zone") for p in zones) + "".join(shape(p, "mask") for p in masks)
    return f'<svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-label="zones and masks">{shapes}</svg>'


STYLES = {"zone": 'fill="rgba(46,204,113,.12)" stroke="#2ecc71" stroke-width="2"',
          "mask": 'fill="rgba(60,60,60,.55)" stroke="#333" stroke-width="1"'}


def _event(event: ReviewEvent, page: ReviewPage) -> str:
    r = event.record
    rule = page.camera.rule
    decision = str(r.decision.value if r.decision else r.status)
    frame = ""
    if event.frame_url:
        frame = (f'<div class="frame"><img alt="best frame of {escape(r.video_id)}" width="320" '
                 f'src="{escape(event.frame_url)}">{zones_overlay(rule.zones, rule.masks)}</div>')
    clip = f' · <a href="{escape(event.clip_url)}">clip</a>' if event.clip_url else ""
    sample = f' <span class="tag">review sample: {escape(event.sampled_why)}</span>' if event.sampled_why else ""
    label = f' <span class="tag label">labelled {escape(r.label.value)}</span>' if r.label else ""
    back = {"c": page.camera.camera_id, "r": page.review_token}

    def button(token: str, css: str, text: str) -> str:
        hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">'
                         for k, v in {"v": r.video_id, "t": token, **back}.items())
        return (f'<form method="post" action="{LABEL_PATH}">{hidden}<button class="{css}" type="submit">'
                f"{escape(text)}</button></form>")

    rule_text = f"rule v{r.rule_version or (r.rule.version if r.rule else 1)}"
    return (f'<div class="event {escape(decision)}" id="{escape(r.video_id)}" data-video="{escape(r.video_id)}">'
            f"<div><b>{_when(r, rule.timezone)}</b> · <b class=\"decision\">{escape(decision)}</b>{label}{sample}</div>"
            f'<div class="meta">score {r.max_score or 0:.3f} / threshold {r.threshold or 0:.3f} · '
            f"{r.frames_over_threshold or 0} frame(s) over · {rule_text} · {escape(r.decision_reason or '')}</div>"
            f'{frame}<div>{score_plot(r)}</div><div class="meta">{escape(r.video_id)}{clip}</div>'
            f'{button(event.false_positive_token, "no", "Not a person")}'
            f'{button(event.true_positive_token, "yes", "Correct")}</div>')


def review_html(page: ReviewPage, now: datetime) -> str:
    camera = page.camera
    sampled = [e for e in page.events if e.sampled_why]
    events = "".join(_event(e, page) for e in page.events) or "<p>No decided clips yet.</p>"
    near = "".join(f'<li><a href="#{escape(e.record.video_id)}">{escape(e.record.video_id)}</a> '
                   f"({escape(e.sampled_why or '')}, deciding score {e.record.deciding_score or 0:.3f})</li>"
                   for e in sampled)
    near_html = (f'<h2>Near the threshold (review sample)</h2><ul id="sample">{near}</ul>' if near
                 else '<h2>Near the threshold (review sample)</h2><p id="sample">None among these.</p>')
    local_now, zone = local_time(now, camera.rule.timezone)
    reload = f"{REVIEW_PATH}?{urlencode({'c': camera.camera_id, 't': page.review_token})}"
    return _page(f"videoalert: {camera.camera_id}",
                 f"<h1>Camera {escape(camera.camera_id)}</h1>"
                 f'<p class="meta">Rule v{camera.rule.version}: {escape(camera.rule.describe())} · '
                 f"{len(camera.rule.zones)} zone(s), {len(camera.rule.masks)} mask(s) · shown "
                 f'{local_now:%d %b %H:%M} ({escape(zone)}) · <a href="{escape(reload)}">reload</a></p>'
                 f"{near_html}<h2>Recent events, newest first</h2>{events}")
