"""Answer a CloudFormation custom resource request: PUT the result to the presigned S3 URL the request carries.
Without an answer CloudFormation waits an hour and the deploy hangs, so the handler answers every request once."""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any

# The answer must stay under 4 KB (CloudFormation's limit for a custom resource response).
MAX_REASON = 1000


def respond(event: Mapping[str, Any], *, success: bool, physical_id: str, reason: str = "",
            data: Mapping[str, Any] | None = None, opener: Any = urllib.request.urlopen) -> None:
    body = json.dumps({
        "Status": "SUCCESS" if success else "FAILED", "Reason": reason[:MAX_REASON] or "see the function's log",
        "PhysicalResourceId": physical_id, "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": dict(data or {})}).encode()
    url = str(event["ResponseURL"])
    if not url.startswith(("https://", "http://127.0.0.1")):  # CloudFormation's presigned S3 URL (or a local test)
        raise ValueError(f"not a CloudFormation response URL: {url[:60]}")
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with opener(request, timeout=30) as answer:  # the scheme is checked above
        answer.read()
