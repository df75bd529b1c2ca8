"""Points in time as users type them: ISO dates and times, ages like 90m or 2d3h, yesterday, today, now."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

AGE = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
ACCEPTED = ("an ISO date or time (2026-11-23, 2026-11-23T10:00Z, 2026-11-23T10:00:00+01:00; UTC unless it says), "
            "an age (90m, 2d3h, 1w, 45s), yesterday, today or now")


def parse_age(text: str) -> timedelta | None:
    """90m -> 90 minutes; 2d3h -> 51 hours; None when the text is not an age."""
    match = AGE.fullmatch(text.strip().lower())
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """The instant `text` names, in UTC. Ages count back from now; yesterday and today start at 00:00 UTC.

    Raises ValueError naming the accepted forms.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    word = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "now":
        return now
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    age = parse_age(word)
    if age is not None:
        return now - age
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a time: use {ACCEPTED}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
