"""The alert as an HTML e-mail a phone shows well: the picture first (the best frame, the person's box drawn on it by
the inference function), the two one-tap buttons right under it, then when, how sure and the other links.

Mail clients ignore style sheets and scripts: one column of tables with inline styles, buttons as big links, the
picture inline (a MIME part named by `frame_cid`, so it shows without loading anything). Pure: aws.ses sends it.
"""
from __future__ import annotations

from datetime import UTC
from html import escape

from videoalert.domain.alert_message import AlertLinks, local_time
from videoalert.domain.first_seen import first_seen
from videoalert.domain.records import VideoRecord

FRAME_CID = "best-frame"
_BUTTON = ("display:block;padding:14px 0;border-radius:8px;font:bold 17px sans-serif;text-align:center;"
           "text-decoration:none;")


def _button(url: str, text: str, colours: str) -> str:
    return (f'<td width="50%" style="padding:4px"><a href="{escape(url)}" style="{_BUTTON}{colours}">'
            f"{escape(text)}</a></td>")


def alert_html(record: VideoRecord, links: AlertLinks | None, *, frame_src: str | None) -> str:
    """The e-mail's HTML. frame_src: "cid:..." for the inline picture, a URL, or None when there is no picture."""
    zone = record.rule.timezone if record.rule else "UTC"
    local, zone_label = local_time(record.window_start, zone)
    seen = first_seen(record).astimezone(local.tzinfo or UTC)
    camera = escape(record.camera_id)
    picture = (f'<tr><td style="padding:0"><img src="{escape(frame_src)}" alt="the person on {camera}" width="100%" '
               f'style="display:block;width:100%;max-width:600px;height:auto;border:0;border-radius:6px"></td></tr>'
               if frame_src else "")
    buttons = ""
    if links is not None and (links.false_positive_url or links.true_positive_url):
        cells = ""
        if links.false_positive_url:
            cells += _button(links.false_positive_url, "Not a person", "background:#c0392b;color:#fff;")
        if links.true_positive_url:
            cells += _button(links.true_positive_url, "Correct", "background:#27ae60;color:#fff;")
        buttons = (f'<tr><td style="padding:6px 0"><table role="presentation" width="100%" cellspacing="0" '
                   f'cellpadding="0"><tr>{cells}</tr></table></td></tr>')
    more = []
    if links is not None:
        for url, text in ((links.clip_url, "Watch the clip"), (links.review_url, f"Recent events on {camera}")):
            if url:
                more.append(f'<a href="{escape(url)}" style="color:#2c6fbb">{text}</a>')
    facts = (f"{local:%a %d %b %Y, %H:%M} ({escape(zone_label)}) &middot; first seen {seen:%H:%M:%S}<br>"
             f"score {record.max_score or 0:.2f} (alerts at {record.threshold or 0:.2f}), "
             f"{record.frames_over_threshold or 0} frame(s) over")
    until = ""
    if links is not None:
        until = (f"Links work until {links.expires_at.astimezone(local.tzinfo or UTC):%d %b %H:%M}; "
                 "a tap on a button asks once more before it labels.<br>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"></head>'
        '<body style="margin:0;padding:0;background:#f4f4f4">'
        '<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f4f4f4">'
        '<tr><td align="center" style="padding:8px">'
        '<table role="presentation" width="100%" cellspacing="0" cellpadding="0" '
        'style="max-width:600px;background:#fff;border-radius:8px;padding:8px;font:15px/1.4 sans-serif;color:#222">'
        f'<tr><td style="padding:2px 0 8px;font:bold 18px sans-serif">Person on {camera}, {local:%H:%M}</td></tr>'
        f"{picture}{buttons}"
        f'<tr><td style="padding:8px 0;color:#444">{facts}</td></tr>'
        f'<tr><td style="padding:0 0 8px">{" &middot; ".join(more)}</td></tr>'
        f'<tr><td style="padding:8px 0 0;color:#888;font-size:12px">{until}Video {escape(record.video_id)}, rule '
        f"v{record.rule_version or 1}, model {escape(str(record.model_version))}</td></tr>"
        "</table></td></tr></table></body></html>")
