"""Typed deploy-time settings read from CDK context (cameras, alert e-mails, retention, stage)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from videoalert_contract.names import CAMERA_ID_RULE, is_valid_camera_id

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


class ConfigError(ValueError):
    """A context value cannot be used; the message names the key and the expected form."""


@dataclass(frozen=True)
class StackConfig:
    stage: str = "dev"
    cameras: tuple[str, ...] = ("cam1",)
    alert_emails: tuple[str, ...] = ()
    ops_emails: tuple[str, ...] = ()
    video_retention_days: int = 30
    # Camera workers (event-source maximum = reserved concurrency); None: derived from the number of cameras
    # (infra/camera_workers.py worker_concurrency). Set it when cameras are registered at run time, not in context.
    worker_concurrency: int | None = None
    # Alert deliveries (infra/deliveries.py): the HTML e-mail from a SES-verified identity to alert_emails (instead
    # of SNS's text e-mail), and the signed webhook (its whsec_ secret in Secrets Manager, created by the user).
    alert_email_from: str | None = None
    alert_webhook_url: str | None = None
    alert_webhook_secret_arn: str | None = None

    @property
    def has_deliveries(self) -> bool:
        return bool(self.alert_email_from or self.alert_webhook_url)

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> StackConfig:
        """Build from a context getter such as ``app.node.try_get_context``; absent keys take defaults."""
        stage = get("stage")
        stage = "dev" if stage in (None, "") else str(stage)
        if not _STAGE.match(stage):
            raise ConfigError(f"context 'stage' must match {_STAGE.pattern}, got {stage!r}")

        cameras = _string_list(get("cameras"), "cameras") or list(cls.cameras)
        bad = [c for c in cameras if not is_valid_camera_id(c)]
        if bad:
            raise ConfigError(f"context 'cameras': invalid camera id(s) {bad}; use {CAMERA_ID_RULE}")
        if len(set(cameras)) != len(cameras):
            raise ConfigError(f"context 'cameras' lists a camera twice: {cameras}")

        emails = _emails(get("alert_emails"), "alert_emails")
        ops_emails = _emails(get("ops_emails"), "ops_emails")

        raw_days = get("video_retention_days")
        try:
            days = cls.video_retention_days if raw_days in (None, "") else int(raw_days)
        except (TypeError, ValueError):
            raise ConfigError(f"context 'video_retention_days' must be a whole number, got {raw_days!r}") from None
        if not 1 <= days <= 3650:
            raise ConfigError(f"context 'video_retention_days' must be 1..3650, got {days}")

        raw_workers = get("worker_concurrency")
        try:
            workers = None if raw_workers in (None, "") else int(raw_workers)
        except (TypeError, ValueError):
            raise ConfigError(f"context 'worker_concurrency' must be a whole number, got {raw_workers!r}") from None
        if workers is not None and not 2 <= workers <= 1000:
            raise ConfigError(f"context 'worker_concurrency' must be 2..1000 (an SQS event source's range), got "
                              f"{workers}")

        sender = str(get("alert_email_from") or "").strip() or None
        if sender is not None and (not _EMAIL.match(sender) or not emails):
            raise ConfigError("context 'alert_email_from' must be an e-mail address (a SES-verified identity), with "
                              "'alert_emails' to send to")
        hook = str(get("alert_webhook_url") or "").strip() or None
        secret = str(get("alert_webhook_secret_arn") or "").strip() or None
        if bool(hook) != bool(secret) or (hook and not hook.startswith("https://")):
            raise ConfigError("context 'alert_webhook_url' (https://) and 'alert_webhook_secret_arn' go together")
        return cls(stage=stage, cameras=tuple(cameras), alert_emails=tuple(emails),
                   ops_emails=tuple(ops_emails), video_retention_days=days, worker_concurrency=workers,
                   alert_email_from=sender, alert_webhook_url=hook, alert_webhook_secret_arn=secret)


def _emails(value: Any, key: str) -> list[str]:
    emails = _string_list(value, key)
    bad = [e for e in emails if not _EMAIL.match(e)]
    if bad:
        raise ConfigError(f"context '{key}': not e-mail addresses: {bad}")
    return emails


def _string_list(value: Any, key: str) -> list[str]:
    """Accept a JSON list (cdk.json) or a comma-separated string (``-c key=a,b``)."""
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ConfigError(f"context '{key}' must be a list or a comma-separated string, got {type(value).__name__}")
    return [str(item).strip() for item in items if str(item).strip()]
