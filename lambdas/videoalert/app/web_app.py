"""The review page as an installable web app: its manifest (opening the review link it was installed from), the
service worker and the page's notification script (static/), and the icon."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from videoalert.app.links import REVIEW_PATH

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"/sw.js": ("sw.js", "text/javascript; charset=utf-8"),
          "/push.js": ("push.js", "text/javascript; charset=utf-8"),
          "/icon.svg": ("icon.svg", "image/svg+xml")}


@cache
def asset(path: str) -> tuple[str, str]:
    """(text, content type) of a static file by its URL path; KeyError for another path."""
    name, content_type = ASSETS[path]
    return (STATIC / name).read_text(encoding="utf-8"), content_type


def manifest(scope: str, token: str) -> str:
    """The web app manifest: added to a phone's home screen, the review page opens as an app (and can be notified).
    Its start URL is the review link it was installed from, valid as long as that link is (REVIEW_TTL)."""
    name = "videoalert" if scope == "*" else f"videoalert {scope}"
    return json.dumps({
        "name": name, "short_name": name[:12], "id": f"{REVIEW_PATH}?{urlencode({'c': scope})}",
        "start_url": f"{REVIEW_PATH}?{urlencode({'c': scope, 't': token})}", "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#c0392b",
        "icons": [{"src": "/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    })
