"""POST a signed alert to the user's webhook URL (urllib: the zip carries no HTTP library), retrying what a retry
can fix (connection errors, timeouts, 408, 429 and 5xx) with exponential backoff; other answers fail at once."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookFailed(Exception):
    """The receiver did not take the delivery (after the retries, or with an answer a retry cannot change)."""


class WebhookSender:
    def __init__(self, url: str, *, attempts: int = 4, base_delay_s: float = 1.0, timeout_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep):
        if not url.startswith(("https://", "http://")):
            raise ValueError("the webhook URL must be http(s)://")
        self.url, self.attempts, self.base_delay_s, self.timeout_s, self.sleep = (url, attempts, base_delay_s,
                                                                                   timeout_s, sleep)

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        """POST until a 2xx (returned) or the attempts are spent (WebhookFailed)."""
        last = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.base_delay_s * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                # http(s) only: the URL was checked in __init__
                with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                    return int(answer.status)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                if exc.code not in RETRY_STATUSES:
                    raise WebhookFailed(f"the receiver answered {last}; not retried") from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {exc}"
        raise WebhookFailed(f"no delivery after {self.attempts} attempts (last: {last})")


class WebhookSecret:
    """The webhook's whsec_ secret from Secrets Manager, read once per cold start."""

    def __init__(self, client: Any, secret_id: str):
        self.client, self.secret_id = client, secret_id
        self._value: str | None = None

    def value(self) -> str:
        if self._value is None:
            self._value = str(self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]).strip()
        return self._value
