"""The stand-in's HTTP: SigV4 checked with botocore, PutMedia's chunked body in, its acknowledgements out."""
from __future__ import annotations

import hmac
import json
import re
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "kinesisvideo"

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")


def verify_sigv4(method: str, path: str, headers: Any, body: bytes, credentials: Credentials, region: str,
                 service: str = SERVICE) -> str | None:
    """Recompute the request's SigV4 signature with botocore; None when it matches, else the reason."""
    match = _AUTH.fullmatch(headers.get("Authorization", ""))
    if not match:
        return "no SigV4 Authorization header"
    access_key, _, signed_region, signed_service, signed_headers, signature = match.groups()
    if (access_key, signed_region, signed_service) != (credentials.access_key, region, service):
        return f"wrong scope {access_key}/{signed_region}/{signed_service}"
    names = signed_headers.split(";")
    if "host" not in names or "x-amz-date" not in names:
        return "host and x-amz-date must be signed"
    request = AWSRequest(method=method, url=f"http://{headers['Host']}{path}",
                         headers={name: headers[name] for name in names}, data=body)
    request.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(credentials, service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return None if hmac.compare_digest(expected, signature) else "signature mismatch"


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a stopped push) is not an error worth a traceback here."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def write_chunk(wfile: Any, event: dict[str, Any]) -> None:
    data = json.dumps(event).encode()
    wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    wfile.flush()


def chunked_body(rfile: Any) -> Iterator[bytes]:
    """The chunks of a chunked-transfer request body, as they arrive (PutMedia streams its body this way)."""
    while True:
        line = rfile.readline()
        if not line:
            return
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            rfile.readline()
            return
        data = rfile.read(size)
        rfile.readline()
        yield data
