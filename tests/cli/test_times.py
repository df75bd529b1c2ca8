"""Times as users type them: ISO dates and times, ages, yesterday/today/now."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from videoalert_cli.times import parse_age, parse_time

NOW = datetime(2026, 12, 3, 14, 25, 30, tzinfo=UTC)


@pytest.mark.parametrize("text,expected", [
    ("90m", NOW - timedelta(minutes=90)),
    ("2d3h", NOW - timedelta(days=2, hours=3)),
    ("1w", NOW - timedelta(weeks=1)),
    ("45s", NOW - timedelta(seconds=45)),
    ("1h30m", NOW - timedelta(hours=1, minutes=30)),
    (" 7D ", NOW - timedelta(days=7)),
    ("yesterday", datetime(2026, 12, 2, tzinfo=UTC)),
    ("today", datetime(2026, 12, 3, tzinfo=UTC)),
    ("now", NOW),
    ("2026-11-23", datetime(2026, 11, 23, tzinfo=UTC)),
    ("2026-11-23T10:00Z", datetime(2026, 11, 23, 10, tzinfo=UTC)),
    ("2026-11-23T10:00", datetime(2026, 11, 23, 10, tzinfo=UTC)),  # no zone: UTC, as everything shown is
    ("2026-11-23T10:00:00+01:00", datetime(2026, 11, 23, 9, tzinfo=UTC)),
])
def test_accepted_forms_name_the_instant_in_utc(text, expected):
    assert parse_time(text, now=NOW) == expected
    assert parse_time(text, now=NOW).tzinfo == UTC


@pytest.mark.parametrize("text", ["2d3x", "tomorrowish", "", "m", "3 days", "-5m", "2026-13-01"])
def test_anything_else_is_refused_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match="90m, 2d3h"):
        parse_time(text, now=NOW)


def test_an_age_without_a_number_is_not_an_age():
    assert parse_age("h") is None and parse_age("") is None and parse_age("2h") == timedelta(hours=2)
