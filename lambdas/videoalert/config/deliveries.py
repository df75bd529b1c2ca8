"""The alert-deliveries function's settings: the HTML e-mail (SES), the signed webhook and Web Push, each optional."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from videoalert.config.env import SettingsError, environment, names_list, optional, required
from videoalert_contract.names import (
    ENV_ALERT_EMAIL_FROM,
    ENV_ALERT_EMAIL_TO,
    ENV_PUSH_TABLE,
    ENV_VAPID_SECRET,
    ENV_VIDEO_BUCKET,
    ENV_VIDEOS_TABLE,
    ENV_WEBHOOK_SECRET,
    ENV_WEBHOOK_URL,
)


@dataclass(frozen=True)
class DeliverySettings:
    videos_table: str
    video_bucket: str  # the best frames, put inline in the e-mail
    email_from: str | None = None  # a SES-verified identity; None: no e-mail (SNS's text e-mail is the fallback)
    email_to: tuple[str, ...] = ()
    webhook_url: str | None = None  # None: no webhook
    webhook_secret: str | None = None  # the secret's ARN (or name locally)
    push_table: str | None = None  # None: no Web Push
    vapid_secret: str | None = None  # the VAPID key's secret ARN (or name locally)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeliverySettings:
        env = environment(env)
        settings = cls(videos_table=required(env, ENV_VIDEOS_TABLE), video_bucket=required(env, ENV_VIDEO_BUCKET),
                       email_from=optional(env, ENV_ALERT_EMAIL_FROM), email_to=names_list(env, ENV_ALERT_EMAIL_TO),
                       webhook_url=optional(env, ENV_WEBHOOK_URL), webhook_secret=optional(env, ENV_WEBHOOK_SECRET),
                       push_table=optional(env, ENV_PUSH_TABLE), vapid_secret=optional(env, ENV_VAPID_SECRET))
        if bool(settings.email_from) != bool(settings.email_to):
            raise SettingsError(f"{ENV_ALERT_EMAIL_FROM} and {ENV_ALERT_EMAIL_TO} go together (the e-mail needs both)")
        if bool(settings.webhook_url) != bool(settings.webhook_secret):
            raise SettingsError(f"{ENV_WEBHOOK_URL} and {ENV_WEBHOOK_SECRET} go together (deliveries are signed)")
        if bool(settings.push_table) != bool(settings.vapid_secret):
            raise SettingsError(f"{ENV_PUSH_TABLE} and {ENV_VAPID_SECRET} go together (Web Push needs both)")
        if settings.webhook_url and not settings.webhook_url.startswith(("https://", "http://")):
            raise SettingsError(f"{ENV_WEBHOOK_URL} must be an http(s):// URL")
        return settings
