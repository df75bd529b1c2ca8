"""Send feedback to the deployed function URL, signed with SigV4 (the URL accepts IAM-authenticated calls only)."""
from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from .errors import UserError

SERVICE = "lambda"  # function URLs are signed for the lambda service


def signed_request(url: str, body: dict[str, Any], *, credentials: Any, region: str) -> urllib.request.Request:
    data = json.dumps(body).encode()
    if hasattr(credentials, "get_frozen_credentials"):
        credentials = credentials.get_frozen_credentials()
    aws_request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, SERVICE, region).add_auth(aws_request)
    return urllib.request.Request(url, data=data, method="POST", headers=dict(aws_request.headers.items()))


def post_feedback(url: str, body: dict[str, Any], *, credentials: Any, region: str,
                  timeout: float = 30) -> dict[str, Any]:
    """The function's JSON answer; its 4xx message becomes a UserError."""
    request = signed_request(url, body, credentials=credentials, region=region)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("message", detail)
        if err.code == 403:
            raise UserError(f"the feedback URL refused your credentials (403): {detail}; your IAM identity needs "
                            "lambda:InvokeFunctionUrl on the feedback function") from err
        raise UserError(f"feedback rejected ({err.code}): {detail}") from err
    except urllib.error.URLError as err:
        raise UserError(f"cannot reach the feedback URL {url}: {err.reason}") from err
