"""Rotation function of the link-signing secret (Secrets Manager invokes it once per rotation step)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app.rotation import Rotation, rotate
from videoalert.wiring import build_rotation

logger = Logger()
_rotation: Rotation | None = None


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    global _rotation
    if _rotation is None:
        _rotation = build_rotation()
    rotate(str(event["Step"]), str(event["SecretId"]), str(event["ClientRequestToken"]), _rotation)
