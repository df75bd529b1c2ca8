"""Read a clip's parts through the presigned GET URLs the dispatcher sends, with the standard library only.

Why: boto3's import and an S3 client are about 0.3 s of Python on every cold start (bench/README.md), and a
presigned URL needs neither. Whatever these URLs cannot answer for certain (expired, refused, a server or
network fault) raises UrlUnavailable, and the handler reads the same parts from bucket and key with boto3.
"""
from __future__ import annotations

import http.client
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import EMPTY_VIDEO, NOT_FOUND, TOO_LARGE, BadInputError

TIMEOUT_S = 30.0  # per socket operation, not for the whole body
_TOTAL = re.compile(r"^bytes \d+-\d+/(\d+)$")


class UrlUnavailable(Exception):
    """The URLs gave no answer about the clip (expired, refused, a fault, or not the clip's S3 URL at all): read it
    from bucket and key instead."""


@dataclass(frozen=True)
class UrlPolicy:
    """Which URLs the function fetches: only the S3 URL of the very object the request names, on the S3 endpoint
    this function would read it from itself (its region's, over HTTPS, or an emulator's named in `endpoints`).

    A URL naming any other host, bucket or key is never fetched (a forged request cannot point the function at an
    internal service or someone else's object); the clip is read from bucket and key with the function's own role.
    """

    region: str | None = None
    endpoints: tuple[str, ...] = ()  # scheme://host:port of S3 endpoints other than AWS's (the local emulator)

    def accepts(self, url: str, bucket: str, key: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:  # a malformed port or host
            return False
        if parts.username is not None or parts.password is not None or parts.fragment:
            return False
        host, path = (parts.hostname or "").lower(), unquote(parts.path)
        bucket = bucket.lower()
        virtual, path_style = path == f"/{key}", path == f"/{bucket}/{key}"
        if parts.scheme == "https" and port in (None, 443):
            regional = (f"s3.{self.region}.amazonaws.com", f"s3.dualstack.{self.region}.amazonaws.com") \
                if self.region else ()
            for s3_host in ("s3.amazonaws.com", *regional):
                if (host == f"{bucket}.{s3_host}" and virtual) or (host == s3_host and path_style):
                    return True
        for endpoint in self.endpoints:
            allowed = urlsplit(endpoint)
            if parts.scheme != allowed.scheme or port != allowed.port or not allowed.hostname:
                continue
            if (host == allowed.hostname and path_style) or (host == f"{bucket}.{allowed.hostname}" and virtual):
                return True
        return False

    def check(self, urls: Sequence[str], bucket: str, keys: Sequence[str]) -> None:
        """UrlUnavailable unless each URL is the S3 URL of its part."""
        for url, key in zip(urls, keys, strict=True):
            if not self.accepts(url, bucket, key):
                raise UrlUnavailable(f"{_safe(url)} is not the S3 URL of s3://{bucket}/{key}: not fetched")


def https_context() -> ssl.SSLContext:
    """One context for every download of the container: loading the CA bundle costs tens of ms each time."""
    return ssl.create_default_context()


def fetch_clip_parts_by_url(urls: Sequence[str], max_bytes: int, context: ssl.SSLContext) -> list[bytes]:
    """The bytes behind each URL, in order. Raises BadInputError NOT_FOUND / TOO_LARGE / EMPTY_VIDEO.

    Each GET asks for at most max_bytes + 1 bytes, and the total size each answer announces is checked
    before any body is read, so an oversized clip is refused without downloading it.
    """
    opener = _opener(context)
    responses = []
    try:
        sizes = []
        for url in urls:
            response, size = _open(opener, url, max_bytes)
            responses.append(response)
            sizes.append(size)
        if sum(sizes) > max_bytes:
            raise BadInputError(TOO_LARGE, f"the clip is {sum(sizes)} bytes, over the {max_bytes}-byte limit")
        if sum(sizes) == 0:
            raise BadInputError(EMPTY_VIDEO, f"{_safe(urls[0])} is 0 bytes")
        return [_body(response, size, url) for response, size, url in zip(responses, sizes, urls, strict=True)]
    finally:
        for response in responses:
            if response is not None:
                response.close()


def _opener(context: ssl.SSLContext) -> urllib.request.OpenerDirector:
    """http and https only (no file:, ftp: or data:), and no redirects: an error status is an HTTPError."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(context=context),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def _open(opener: urllib.request.OpenerDirector, url: str,
          max_bytes: int) -> tuple[http.client.HTTPResponse | None, int]:
    """(response or None for an empty object, the object's total size)."""
    request = urllib.request.Request(url, headers={"Range": f"bytes=0-{max_bytes}"})
    try:
        response = opener.open(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise BadInputError(NOT_FOUND, f"{_safe(url)} does not exist") from None
        if exc.code == 416:  # no byte 0 to give: the object is empty
            return None, 0
        raise UrlUnavailable(f"GET {_safe(url)}: HTTP {exc.code}") from None
    except (OSError, http.client.HTTPException) as exc:  # URLError (DNS, refused, TLS), timeout, bad answer
        raise UrlUnavailable(f"GET {_safe(url)}: {exc}") from None
    if response.status == 206:
        match = _TOTAL.match(response.headers.get("Content-Range", ""))
        if match is None:
            response.close()
            raise UrlUnavailable(f"GET {_safe(url)}: no total size in Content-Range")
        return response, int(match.group(1))
    if response.status == 200:  # the whole object (a server that ignores Range): its length is its size
        length = response.headers.get("Content-Length")
        if length is None or not length.isdigit():
            response.close()
            raise UrlUnavailable(f"GET {_safe(url)}: no Content-Length")
        return response, int(length)
    response.close()
    raise UrlUnavailable(f"GET {_safe(url)}: HTTP {response.status}")


def _body(response: http.client.HTTPResponse | None, size: int, url: str) -> bytes:
    if response is None or size == 0:
        return b""
    try:
        data = response.read(size)
    except (OSError, http.client.HTTPException) as exc:  # connection reset, timeout, incomplete read
        raise UrlUnavailable(f"GET {_safe(url)}: {exc}") from None
    if len(data) != size:
        raise UrlUnavailable(f"GET {_safe(url)}: {len(data)} of {size} bytes")
    return data


def _safe(url: str) -> str:
    """The URL without its query: the signature is a credential and stays out of messages and logs."""
    return url.split("?", 1)[0]
