"""The public links function (one-tap feedback, the review page) on 127.0.0.1 for the local run: each HTTP request
becomes the function URL event AWS would send, and the real handler answers it in-process (local parity)."""
from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_BODY = 64 * 1024


def function_url_event(method: str, target: str, body: bytes = b"",
                       headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A Lambda function URL event (payload 2.0, auth NONE) for one request."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": parts.path or "/", "rawQueryString": parts.query,
        "headers": headers, "queryStringParameters": query or None,
        "requestContext": {"accountId": "anonymous", "apiId": "local", "domainName": "127.0.0.1",
                           "domainPrefix": "local",
                           "http": {"method": method, "path": parts.path or "/", "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": headers.get("user-agent", "")},
                           "requestId": "local", "routeKey": "$default", "stage": "$default",
                           "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0},
        "body": base64.b64encode(body).decode() if body else None, "isBase64Encoded": bool(body),
    }


class _LambdaContext:
    function_name = "videoalert-links-local"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:videoalert-links-local"
    aws_request_id = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


def _handler_class(handler: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = min(int(self.headers.get("content-length") or 0), MAX_BODY)
            body = self.rfile.read(length) if length else b""
            event = function_url_event(method, self.path, body, dict(self.headers.items()))
            answer = handler(event, _LambdaContext())
            payload = answer.get("body") or ""
            data = base64.b64decode(payload) if answer.get("isBase64Encoded") else str(payload).encode()
            self.send_response(int(answer.get("statusCode", 200)))
            for name, value in (answer.get("headers") or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # request lines carry tokens: not printed

    return Handler


@contextlib.contextmanager
def serve_links(handler: Any, port: int = 0) -> Iterator[str]:
    """Serve the handler on 127.0.0.1 (port 0: any free one) for the block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(handler))
    thread = threading.Thread(target=server.serve_forever, name="videoalert-links", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
