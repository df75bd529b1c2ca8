"""SigV4 for PutMedia: the headers are signed, the streamed body is not (signed as an empty payload)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

SERVICE = "kinesisvideo"
PUT_MEDIA_PATH = "/putMedia"


def host_header(url: str) -> str:
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname or ""
    return host if parts.port in (None, default_port) else f"{host}:{parts.port}"


def sign_put_media(headers: dict[str, str], *, url: str, credentials: Any, region: str) -> dict[str, str]:
    """Headers plus X-Amz-Date, X-Amz-Security-Token (temporary credentials) and Authorization.

    The body of PutMedia is an endless Matroska stream, so - as the KVS producer SDKs do - the
    canonical request carries the hash of an empty payload and only the headers are signed.
    """
    # Refreshable credentials are read once, so a rotation cannot mix old and new halves in one signature.
    if hasattr(credentials, "get_frozen_credentials"):
        credentials = credentials.get_frozen_credentials()
    request = AWSRequest(method="POST", url=url, headers={"host": host_header(url), **headers}, data=b"")
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return dict(request.headers.items())
