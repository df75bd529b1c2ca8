"""Typed deploy-time settings read from CDK context (the cameras to seed, alert e-mails, retention, stage, concurrency).
Nothing here sizes the stack by cameras: they are registered at run time (`videoalert camera add`)."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from infra.cameras import MAX_SEED_CAMERAS  # the deploy-time seed registers the `cameras` context in one invocation
from videoalert_contract.defaults import RETENTION_DAYS
from videoalert_contract.names import (
    CAMERA_ID_RULE,
    MAX_STREAM_RETENTION_HOURS,
    MIN_STREAM_RETENTION_HOURS,
    is_valid_camera_id,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_BASE_IMAGE = re.compile(r"^public\.ecr\.aws/lambda/python:\d+\.\d+@sha256:[0-9a-f]{64}$")


class ConfigError(ValueError):
    """A context value cannot be used; the message names the key and the expected form."""


@dataclass(frozen=True)
class StackConfig:
    stage: str = "dev"
    # Registered once, when the stack is created (later deploys register only ids new to the list); never removed.
    cameras: tuple[str, ...] = ("cam1",)
    alert_emails: tuple[str, ...] = ()
    ops_emails: tuple[str, ...] = ()
    video_retention_days: int = RETENTION_DAYS
    # Camera workers at once (the SQS event source's maximum concurrency); None: infra/camera_workers.py MIN_WORKERS.
    # Size it for the cameras you will register: cameras x 1.5 s / 6 s (README, sizing).
    worker_concurrency: int | None = None
    # Reserve concurrency for the workers, the dispatcher, inference and the public links function. Off by default: a
    # new account's concurrency quota (often 10) cannot reserve any, and the deploy would roll back.
    reserved_concurrency: bool = False
    # Cameras whose streams a stack from before the camera registry created as stack resources: kept in the template,
    # retained, for the one deploy that upgrades it (README, upgrading).
    stack_streams: tuple[str, ...] = ()
    # Retention of the seeded cameras' streams, 24..87600 hours.
    stream_retention_hours: int = MIN_STREAM_RETENTION_HOURS
    # The inference image's base pinned by digest (inference_container/Dockerfile says how to resolve it); None: the
    # Dockerfile's tag of the tested Python.
    inference_base_image: str | None = None
    # Alert deliveries (infra/deliveries.py): the HTML e-mail from a SES-verified identity to alert_emails (instead
    # of SNS's text e-mail), and the signed webhook (its whsec_ secret in Secrets Manager, created by the user).
    alert_email_from: str | None = None
    alert_webhook_url: str | None = None
    alert_webhook_secret_arn: str | None = None
    # Web Push to the review page installed on a phone (infra/push.py): the subscriptions table, the VAPID key's
    # secret (filled by `videoalert webpush keys`) and the sender in the deliveries function.
    web_push: bool = False

    @property
    def has_deliveries(self) -> bool:
        return bool(self.alert_email_from or self.alert_webhook_url or self.web_push)

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

        raw_cameras = get("cameras")
        # An explicit empty list (or "") seeds nothing; an absent key seeds the default camera.
        cameras = list(cls.cameras) if raw_cameras is None else _string_list(raw_cameras, "cameras")
        _camera_ids(cameras, "cameras")
        if len(cameras) > MAX_SEED_CAMERAS:
            raise ConfigError(f"context 'cameras' seeds at most {MAX_SEED_CAMERAS} cameras at deploy, got "
                              f"{len(cameras)}: register the others with `videoalert camera add` (or the cameras "
                              "API); cameras are data, not stack")
        stack_streams = _string_list(get("stack_streams"), "stack_streams")
        _camera_ids(stack_streams, "stack_streams")

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

        reserved = _flag(get("reserved_concurrency"), "reserved_concurrency")
        web_push = _flag(get("web_push"), "web_push")

        raw_hours = get("stream_retention_hours")
        try:
            hours = MIN_STREAM_RETENTION_HOURS if raw_hours in (None, "") else int(raw_hours)
        except (TypeError, ValueError):
            raise ConfigError(f"context 'stream_retention_hours' must be a whole number, got {raw_hours!r}") from None
        if not MIN_STREAM_RETENTION_HOURS <= hours <= MAX_STREAM_RETENTION_HOURS:
            raise ConfigError(f"context 'stream_retention_hours' must be {MIN_STREAM_RETENTION_HOURS}.."
                              f"{MAX_STREAM_RETENTION_HOURS}, got {hours}")

        base_image = get("inference_base_image") or None
        if base_image is not None and not _BASE_IMAGE.match(str(base_image)):
            raise ConfigError("context 'inference_base_image' must be public.ecr.aws/lambda/python:<version>@sha256:"
                              f"<64 hex digits> (a digest pin), got {base_image!r}")

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
                   reserved_concurrency=reserved, stack_streams=tuple(stack_streams), stream_retention_hours=hours,
                   inference_base_image=None if base_image is None else str(base_image),
                   alert_email_from=sender, alert_webhook_url=hook, alert_webhook_secret_arn=secret,
                   web_push=web_push)


def _flag(raw: Any, key: str) -> bool:
    if isinstance(raw, bool) or raw is None:
        return bool(raw)
    if str(raw).strip().lower() in ("true", "1", "yes", "false", "0", "no", ""):
        return str(raw).strip().lower() in ("true", "1", "yes")
    raise ConfigError(f"context '{key}' must be true or false, got {raw!r}")


def _camera_ids(cameras: list[str], key: str) -> None:
    bad = [c for c in cameras if not is_valid_camera_id(c)]
    if bad:
        raise ConfigError(f"context '{key}': invalid camera id(s) {bad}; use {CAMERA_ID_RULE}")
    if len(set(cameras)) != len(cameras):
        raise ConfigError(f"context '{key}' lists a camera twice: {cameras}")


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
    items: Sequence[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ConfigError(f"context '{key}' must be a list or a comma-separated string, got {type(value).__name__}")
    return [str(item).strip() for item in items if str(item).strip()]
