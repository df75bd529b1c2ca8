"""The small HTML pages of the one-tap links and the review page: plain HTML, inline CSS and SVG, nothing fetched from
elsewhere but the presigned frame images; no script but the review page's notification button (static/push.js, with
its service worker static/sw.js, where Web Push is set up). Pure functions of what the use cases return."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from videoalert.app.feedback import Cleared, FeedbackResult
from videoalert.app.links import EVENT_PATH, LABEL_PATH, MANIFEST_PATH, REVIEW_PATH, UNDO_PATH
from videoalert.app.one_tap import ALL_CAMERAS, ReviewEvent, ReviewPage
from videoalert.domain.alert_message import local_time
from videoalert.domain.events import UNLABELLED, Event
from videoalert.domain.link_token import Action, LinkClaims
from videoalert.domain.records import VideoRecord
from videoalert.domain.rule import Rule
from videoalert.domain.types import Label
from videoalert_contract.zones import Polygon

STYLE = """
*{box-sizing:border-box} html{-webkit-text-size-adjust:100%}
body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;max-width:760px;padding:10px;color:#222;overflow-wrap:anywhere}
h1{font-size:1.25em;margin:.2em 0} h2{font-size:1.05em;margin:1em 0 .4em}
.event{border:1px solid #ccc;border-radius:10px;padding:8px;margin:10px 0}
.ALERT{border-left:6px solid #c0392b} .SUPPRESSED{border-left:6px solid #7f8c8d}
.COOLDOWN{border-left:6px solid #e67e22} .NO_ALERT{border-left:6px solid #27ae60}
.frame{position:relative;display:block;max-width:100%;margin:6px 0} .frame img{display:block;width:100%;height:auto;
border-radius:6px} .frame svg{position:absolute;inset:0;width:100%;height:100%}
.zname{position:absolute;transform:translate(-50%,-50%);background:rgba(0,0,0,.6);color:#fff;font-size:.75em;
padding:0 4px;border-radius:3px;pointer-events:none}
.meta{color:#555;font-size:.9em} .tag{background:#eee;border-radius:4px;padding:1px 6px;font-size:.85em}
.plot{display:block;width:100%;height:auto} video{display:block;width:100%;height:auto;background:#000}
form{display:inline} .buttons{display:flex;gap:8px;margin-top:6px} .buttons form{flex:1}
button{font-size:1em;padding:12px 10px;border-radius:8px;border:1px solid #888;width:100%;min-height:44px}
button.no{background:#fdecea} button.yes{background:#eafaf1} button.undo{background:#f4f4f4;width:auto}
.label{font-weight:bold;margin:6px 0} .filters{display:flex;flex-wrap:wrap;gap:6px;align-items:end;margin:6px 0}
.filters label{display:flex;flex-direction:column;font-size:.85em;flex:1 1 140px}
.filters select,.filters input{font-size:1em;padding:6px;min-height:40px;width:100%}
.filters button{flex:1 1 100%} .push{margin:6px 0} .push button{background:#fff7e6}
.pager{display:flex;justify-content:space-between;margin:12px 0}
table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:3px 4px;border-bottom:1px solid #eee;
overflow-wrap:normal} td.meta{overflow-wrap:anywhere}
@media (min-width:900px){body.list{max-width:1180px} .events{display:grid;grid-template-columns:repeat(3,1fr);
gap:0 12px;align-items:start} .filters label{flex:1 1 0} .filters button{flex:0 0 140px} .push button{width:auto}}
"""


def _page(title: str, body: str, body_class: str = "", head: str = "") -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style>{head}</head><body{f' class={body_class!r}' if body_class else ''}>{body}"
            "</body></html>")


def _push(page: ReviewPage) -> tuple[str, str]:
    """The web app manifest and notification button of a review page (head, body), where Web Push is set up."""
    if not page.push:
        return "", ""
    query = urlencode({"c": page.scope, "t": page.review_token})
    what = "every camera" if page.scope == ALL_CAMERAS else f"camera {page.scope}"
    head = (f'<link rel="manifest" href="{MANIFEST_PATH}?{escape(query)}"><meta name="theme-color" content="#c0392b">'
            f'<link rel="icon" href="/icon.svg"><script src="/push.js" defer></script>')
    body = (f'<div id="push" class="push" data-scope="{escape(page.scope)}" data-token="{escape(page.review_token)}">'
            f'<button type="button" class="notify">Notify this device of alerts on {escape(what)}</button>'
            '<span class="push-status meta" role="status"></span></div>')
    return head, body


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


def cleared_page(cleared: Cleared, back: str | None = None) -> str:
    before = LABEL_WORDS[cleared.previous_label] if cleared.previous_label else None
    said = f"It is no longer marked as {escape(before)}." if before else "It had no label."
    link = f'<p><a href="{escape(back)}">Back to the review page</a></p>' if back else ""
    return _page("Label taken away", f'<h1 id="result">Label taken away</h1><p>{said}</p>'
                 f'<p class="meta">Video {escape(cleared.video_id)} on {escape(cleared.camera_id)}; '
                 f"{cleared.memory_removed} remembered frame(s) forgotten.</p>{link}")


def message_page(title: str, message: str) -> str:
    return _page(title, f'<h1 id="result">{escape(title)}</h1><p>{escape(message)}</p>')


def _zone(record: VideoRecord) -> str:
    return record.rule.timezone if record.rule else "UTC"


def score_plot(record: VideoRecord, width: int = 360, height: int = 90) -> str:
    """Score over time as inline SVG, as wide as its box: the best entry per moment, the threshold dashed."""
    best: dict[float, float] = {}
    for frame in record.frame_scores or ():
        best[frame.t] = max(frame.score, best.get(frame.t, 0.0))
    if not best:
        return ""
    span = max(max(best), 1.0)
    points = " ".join(f"{t / span * width:.1f},{(1 - s) * height:.1f}" for t, s in sorted(best.items()))
    threshold = record.threshold if record.threshold is not None else 0.5
    y = (1 - threshold) * height
    return (f'<svg class="plot" role="img" aria-label="score over time" viewBox="0 0 {width} {height + 14}">'
            f'<rect width="{width}" height="{height}" fill="#fafafa" '
            f'stroke="#ddd"/><line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c0392b" '
            f'stroke-dasharray="4 3"/><polyline fill="none" stroke="#2c3e50" stroke-width="1.5" points="{points}"/>'
            f'<text x="0" y="{height + 12}" font-size="10">0 s</text><text x="{width - 40}" y="{height + 12}" '
            f'font-size="10">{span:.0f} s</text><text x="4" y="{max(10, y - 3):.0f}" font-size="10" fill="#c0392b">'
            f"threshold {threshold:.2f}</text></svg>")


def zones_overlay(zones: Sequence[Polygon], masks: Sequence[Polygon],
                  box: Sequence[float] | None = None, names: Sequence[str] = ()) -> str:
    """Zones (green outline) and masks (grey), each with its name (a zone's own, else "zone 1"; "mask 1"...), and the
    person's box (red), over a frame, in the frame's own fractions."""
    if not zones and not masks and box is None:
        return ""

    def shape(poly: Polygon, css: str, name: str) -> str:
        points = " ".join(f"{x},{y}" for x, y in poly)
        return (f'<polygon class="{css}" points="{points}" vector-effect="non-scaling-stroke" {STYLES[css]}>'
                f"<title>{name}</title></polygon>")

    named = [(p, "zone", escape((names[i] if i < len(names) else "") or f"zone {i + 1}")) for i, p in enumerate(zones)]
    named += [(p, "mask", f"mask {i}") for i, p in enumerate(masks, 1)]
    shapes = "".join(shape(p, css, name) for p, css, name in named)
    if box is not None:
        x0, y0, x1, y1 = box
        shapes += (f'<rect class="person" x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
                   f'stroke="#ff2020" stroke-width="2" vector-effect="non-scaling-stroke"><title>person</title></rect>')
    names = "".join(
        f'<span class="zname {css}-name" style="left:{sum(x for x, _ in p) / len(p) * 100:.1f}%;'
        f'top:{sum(y for _, y in p) / len(p) * 100:.1f}%">{name}</span>' for p, css, name in named)
    return (f'<svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-label="zones, masks and the person">{shapes}'
            f"</svg>{names}")


def _zones_said(rule: Rule) -> str:
    """"2 zone(s) (driveway, zone 2)": the count, and the names where any zone has one."""
    names = f" ({', '.join(escape(rule.zone_label(i)) for i in range(len(rule.zones)))})" if rule.zone_names else ""
    return f"{len(rule.zones)} zone(s){names}"


STYLES = {"zone": 'fill="rgba(46,204,113,.12)" stroke="#2ecc71" stroke-width="2"',
          "mask": 'fill="rgba(60,60,60,.55)" stroke="#333" stroke-width="1"'}

LABEL_WORDS = {Label.FALSE_POSITIVE: "not a person", Label.TRUE_POSITIVE: "a person"}


def _back(page_scope: str, token: str, filters: str = "") -> dict[str, str]:
    """The fields that bring a tap's answer back to the page it was made on (its filters and page too)."""
    return {"c": page_scope, "r": token} | ({"q": filters} if filters else {})


def _form(path: str, fields: dict[str, str], css: str, text: str) -> str:
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in fields.items())
    return (f'<form method="post" action="{path}">{hidden}<button class="{css}" type="submit">{escape(text)}</button>'
            "</form>")


def _picture(item: ReviewEvent, href: str | None) -> str:
    """The best minute's frame with the zones of the rule that minute was decided by (named), and the person's box."""
    if not item.frame_url:
        return ""
    best, entry = item.event.best, item.event.best_entry
    rule = best.rule
    overlay = zones_overlay(rule.zones if rule else (), rule.masks if rule else (),
                            entry.box if entry is not None else None, rule.zone_names if rule else ())
    img = (f'<img alt="best frame of {escape(best.video_id)}" src="{escape(item.frame_url)}">{overlay}')
    return f'<a class="frame" href="{escape(href)}">{img}</a>' if href else f'<div class="frame">{img}</div>'


def _actions(item: ReviewEvent, scope: str, token: str, filters: str = "") -> str:
    """The label in words with its undo, or the two buttons where a label makes sense, or nothing."""
    head = item.record
    back = _back(scope, token, filters)
    if head.label is not None:
        undo = _form(UNDO_PATH, {"v": head.video_id, "t": item.clear_token, **back}, "undo", "Undo") \
            if item.clear_token else ""
        return (f'<div class="buttons"><p class="label">Marked: {LABEL_WORDS[head.label]}</p>{undo}</div>')
    if item.false_positive_token and item.true_positive_token:
        no = _form(LABEL_PATH, {"v": head.video_id, "t": item.false_positive_token, **back}, "no", "Not a person")
        yes = _form(LABEL_PATH, {"v": head.video_id, "t": item.true_positive_token, **back}, "yes", "Correct")
        return f'<div class="buttons">{no}{yes}</div>'
    return ""


def _span(event: Event) -> str:
    zone = event.head.rule.timezone if event.head.rule else "UTC"
    start, label = local_time(event.start, zone)
    end, _ = local_time(event.end, zone)
    return f"{start:%a %d %b %H:%M}–{end:%H:%M} ({escape(label)})"


def _summary(item: ReviewEvent) -> str:
    event = item.event
    best = event.best
    zone = event.head.rule.timezone if event.head.rule else "UTC"
    seen, _ = local_time(event.first_seen, zone)
    minutes = len(event.minutes)
    sample = f' <span class="tag">review sample: {escape(item.sampled_why)}</span>' if item.sampled_why else ""
    return (f'<div><b>{_span(event)}</b> · {escape(event.camera_id)}</div>'
            f'<div><b class="decision">{escape(event.decision.value)}</b> · {minutes} minute{"s" * (minutes > 1)} · '
            f'score {best.max_score or 0:.2f} · first seen {seen:%H:%M:%S}{sample}</div>')


def _event(item: ReviewEvent, page: ReviewPage) -> str:
    event = item.event
    href = f"{EVENT_PATH}?{urlencode({'v': event.event_id, 'c': page.scope, 't': page.review_token})}"
    return (f'<article class="event {escape(event.decision.value)}" id="{escape(event.event_id)}" '
            f'data-video="{escape(item.record.video_id)}" data-camera="{escape(event.camera_id)}">'
            f"{_picture(item, href)}{_summary(item)}{_actions(item, page.scope, page.review_token, filters_of(page))}"
            f'<div class="meta"><a href="{escape(href)}">details and clip</a></div></article>')


def _filters(page: ReviewPage) -> str:
    q = page.query

    def select(name: str, title: str, options: list[tuple[str, str]], current: str | None) -> str:
        opts = "".join(f'<option value="{escape(v)}"{" selected" if v == (current or "") else ""}>{escape(t)}</option>'
                       for v, t in options)
        return f'<label>{title}<select name="{name}">{opts}</select></label>'

    cameras = ""
    if page.scope == ALL_CAMERAS:
        cameras = select("cam", "Camera", [("", "every camera")] + [(c, c) for c in page.all_camera_ids], q.camera)
    decisions = select("d", "Decision", [("", "any"), ("ALERT", "alerts"), ("SUPPRESSED", "suppressed"),
                                         ("NO_ALERT", "no alert")], q.decision.value if q.decision else None)
    labels = select("l", "Label", [("", "any"), (UNLABELLED, "not labelled"), ("false_positive", "not a person"),
                                   ("true_positive", "a person")], q.label)
    day = (f'<label>Day (UTC)<input type="date" name="day" value="{q.day.isoformat() if q.day else ""}"></label>')
    return (f'<form class="filters" method="get" action="{REVIEW_PATH}">'
            f'<input type="hidden" name="c" value="{escape(page.scope)}">'
            f'<input type="hidden" name="t" value="{escape(page.review_token)}">'
            f'{cameras}{decisions}{labels}{day}<button type="submit">Show</button></form>')


FILTER_NAMES = ("cam", "d", "l", "day", "p")  # the review page's query besides c and t


def filters_of(page: ReviewPage, page_number: int | None = None) -> str:
    """The page's filters (and page number) as a query string."""
    q = page.query
    number = q.page if page_number is None else page_number
    params = {"cam": q.camera or "", "d": q.decision.value if q.decision else "", "l": q.label or "",
              "day": q.day.isoformat() if q.day else "", "p": str(number + 1) if number else ""}
    return urlencode({k: v for k, v in params.items() if v})


def review_url(page: ReviewPage, page_number: int) -> str:
    filters = filters_of(page, page_number)
    return f"{REVIEW_PATH}?{urlencode({'c': page.scope, 't': page.review_token})}" + (f"&{filters}" if filters else "")


def review_html(page: ReviewPage, now: datetime) -> str:
    events = "".join(_event(e, page) for e in page.events) or '<p id="none">No events match.</p>'
    sampled = [e for e in page.events if e.sampled_why]
    near = "".join(f'<li><a href="#{escape(e.event.event_id)}">{_span(e.event)}</a> '
                   f"({escape(e.sampled_why or '')}, deciding score {e.event.best.deciding_score or 0:.3f})</li>"
                   for e in sampled)
    near_html = (f'<h2>Near the threshold (review sample)</h2><ul id="sample">{near}</ul>' if near
                 else '<h2>Near the threshold (review sample)</h2><p id="sample">None among these.</p>')
    zone = page.cameras[0].rule.timezone if len(page.cameras) == 1 else "UTC"
    local_now, zone_label = local_time(now, zone)
    if page.scope == ALL_CAMERAS:
        title, about = "Events on every camera", f"{len(page.cameras)} camera(s)"
    else:
        camera = page.cameras[0]
        title = f"Events on {camera.camera_id}"
        about = (f"Rule v{camera.rule.version}: {escape(camera.rule.describe())} · {_zones_said(camera.rule)}, "
                 f"{len(camera.rule.masks)} mask(s)")
    pager = ""
    if page.query.page or page.more:
        newer = (f'<a id="newer" href="{escape(review_url(page, page.query.page - 1))}">&larr; Newer</a>'
                 if page.query.page else "<span></span>")
        older = (f'<a id="older" href="{escape(review_url(page, page.query.page + 1))}">Older &rarr;</a>'
                 if page.more else "<span></span>")
        pager = f'<nav class="pager">{newer}<span>page {page.query.page + 1}</span>{older}</nav>'
    push_head, push_body = _push(page)
    return _page(f"videoalert: {title}",
                 f"<h1>{escape(title)}</h1><p class=\"meta\">{about} · shown {local_now:%d %b %H:%M} "
                 f'({escape(zone_label)}) · <a href="{escape(review_url(page, page.query.page))}">reload</a></p>'
                 f'{push_body}{_filters(page)}<h2>Newest first</h2><div class="events">{events}</div>{pager}'
                 f"{near_html}", "list", push_head)


def event_html(item: ReviewEvent, scope: str, token: str) -> str:
    """One event: the picture, the clip, the label (or the buttons), its minutes, the best minute's scores."""
    event = item.event
    best = event.best
    video = (f'<video controls preload="metadata" playsinline src="{escape(item.clip_url)}"></video>'
             if item.clip_url else "")
    rows = "".join(f"<tr><td>{local_time(m.window_start, m.rule.timezone if m.rule else 'UTC')[0]:%H:%M}</td>"
                   f"<td>{escape(str(m.decision))}</td><td>{m.max_score or 0:.2f}</td>"
                   f'<td class="meta">{escape(m.video_id)}</td></tr>' for m in event.minutes)
    rule = best.rule
    zones = "" if rule is None else (f" · rule v{best.rule_version or rule.version}: {_zones_said(rule)}, "
                                     f"{len(rule.masks)} mask(s)")
    back = f"{REVIEW_PATH}?{urlencode({'c': scope, 't': token})}"
    return _page(f"videoalert: {event.camera_id} {event.event_id}",
                 f'<p><a href="{escape(back)}">&larr; Events</a></p>'
                 f'<article class="event {escape(event.decision.value)}" id="{escape(event.event_id)}" '
                 f'data-video="{escape(item.record.video_id)}">'
                 f"<h1>{escape(event.camera_id)}: {_span(event)}</h1>{_picture(item, None)}{_summary(item)}"
                 f"{_actions(item, scope, token)}<h2>The clip</h2>{video}"
                 f'<p class="meta">the best minute, {escape(best.video_id)}{zones}</p>'
                 f"<h2>Scores of the best minute</h2>{score_plot(best)}"
                 f"<h2>Minutes</h2><table><tr><th>at</th><th>decision</th><th>score</th><th>video</th></tr>{rows}"
                 "</table></article>")
