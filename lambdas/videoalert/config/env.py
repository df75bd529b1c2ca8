"""Read typed, bounded values from the environment; a bad value names its variable and what it must be."""
from __future__ import annotations

import os
from collections.abc import Mapping


class SettingsError(ValueError):
    """An environment variable is missing or out of its bounds: the function cannot start."""


def environment(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} must be set")
    return value


def optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def number(env: Mapping[str, str], name: str, default: float, *, above: float, high: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not above < value <= high:
        raise SettingsError(f"{name} must be in ({above:g}, {high:g}], got {value:g}")
    return value


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    return default if not raw else raw not in ("0", "false", "no", "off")


def names_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list."""
    return tuple(c.strip() for c in env.get(name, "").split(",") if c.strip())
