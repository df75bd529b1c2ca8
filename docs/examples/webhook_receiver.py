"""An example receiver of videoalert's alert webhook (docs/integrations.md), standard library only.

    WEBHOOK_SECRET=whsec_... python docs/examples/webhook_receiver.py --port 8080 [--ntfy https://ntfy.sh/my-topic |
        --forward http://homeassistant.local:8123/api/webhook/ID]

It verifies each delivery's signature (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature), refuses
old or future timestamps (a replayed request), acts once per webhook-id (a retried delivery is answered 200 and
ignored), and acts by printing the alert, forwarding its text, picture and one-tap links to an ntfy topic, or its JSON
to another URL (a Home Assistant webhook trigger). Answer 2xx
quickly: videoalert retries anything else.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_S = 300  # a delivery signed longer ago (or later) than this is refused


class Unverified(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> dict[str, Any]:
    """The alert if the delivery is signed with the secret and fresh; Unverified if not."""
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        delivery_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
        signatures = headers["webhook-signature"].split()
    except (KeyError, ValueError):
        raise Unverified("missing or malformed webhook headers") from None
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_S:
        raise Unverified("timestamp too old or too new")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{delivery_id}.{timestamp}.".encode() + body,
                                         hashlib.sha256).digest()).decode()
    if not any(s.startswith("v1,") and hmac.compare_digest(s[3:], expected) for s in signatures):
        raise Unverified("bad signature")
    return dict(json.loads(body))


class Receiver:
    """Verify, drop duplicates, act once per delivery id."""

    def __init__(self, secret: str, act: Callable[[dict[str, Any]], None]):
        self.secret, self.act = secret, act
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            alert = verify(self.secret, headers, body)
        except Unverified:
            return 401
        delivery_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        with self.lock:
            if delivery_id in self.seen:
                return 200  # a retry of a delivery already acted on
            self.act(alert)
            self.seen.add(delivery_id)
        return 204


def to_ntfy(topic_url: str) -> Callable[[dict[str, Any]], None]:
    """Forward an alert to an ntfy topic: its subject as the title, the picture attached, a tap opens the review."""
    def act(alert: dict[str, Any]) -> None:
        links = alert.get("links") or {}
        headers = {"Title": alert.get("subject", "videoalert"), "Tags": "rotating_light", "Priority": "high"}
        if links.get("frame"):
            headers["Attach"] = links["frame"]
        if links.get("review"):
            headers["Click"] = links["review"]
        actions = [f"view, {name}, {links[key]}" for key, name in (("not_a_person", "Not a person"),
                                                                  ("correct", "Correct")) if links.get(key)]
        if actions:
            headers["Actions"] = "; ".join(actions)
        request = urllib.request.Request(topic_url, data=(alert.get("text") or "").encode(), headers=headers)
        urllib.request.urlopen(request, timeout=10).close()
    return act


def to_url(url: str) -> Callable[[dict[str, Any]], None]:
    """Forward a verified alert's JSON to another URL (a Home Assistant webhook trigger, which checks no signature)."""
    def act(alert: dict[str, Any]) -> None:
        request = urllib.request.Request(url, data=json.dumps(alert).encode(),
                                         headers={"content-type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()
    return act


def server(receiver: Receiver, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(min(int(self.headers.get("content-length") or 0), 256 * 1024))
            self.send_response(receiver.handle(dict(self.headers.items()), body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ntfy", metavar="TOPIC_URL", help="forward each alert to this ntfy topic")
    parser.add_argument("--forward", metavar="URL", help="forward each alert's JSON to this URL (Home Assistant)")
    args = parser.parse_args()
    if args.ntfy:
        act = to_ntfy(args.ntfy)
    elif args.forward:
        act = to_url(args.forward)
    else:
        act = lambda alert: print(alert.get("text") or alert, flush=True)  # noqa: E731
    httpd = server(Receiver(os.environ["WEBHOOK_SECRET"], act), args.port, args.host)
    print(f"listening on http://{args.host}:{httpd.server_address[1]}/", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
