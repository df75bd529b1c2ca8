"""Camera URL secrets out of any text the CLI prints or logs (messages, tracebacks): stdlib only, so the error path
of every command can use it."""
from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s@:'\"]*)(?::[^/\s@'\"]*)?@")
_SECRET_PARAMS = re.compile(r"(?P<name>[?&](?:password|passwd|pass|pwd|token|secret|key|auth|signature)=)[^&\s'\"#]*",
                            re.IGNORECASE)


def redact(text: str) -> str:
    """Text naming a camera URL with its secrets replaced by ***: the password of user:password@ (or a lone token
    before @), and password/token-like query parameters. Camera credentials are never printed or logged."""
    def userinfo(match: re.Match[str]) -> str:
        has_password = match.group(0)[len(match.group("scheme")) + len(match.group("user")):].startswith(":")
        user = match.group("user")
        return f"{match.group('scheme')}{user}:***@" if has_password and user else f"{match.group('scheme')}***@"

    return _SECRET_PARAMS.sub(lambda m: f"{m.group('name')}***", _USERINFO.sub(userinfo, text))
