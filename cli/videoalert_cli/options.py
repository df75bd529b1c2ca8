"""Argument types and the options several commands share; a bad value is a usage error (exit 2).

Keep this module cheap to import: `videoalert --help` builds every command's parser.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .times import parse_time


def camera_id(text: str) -> str:
    from videoalert_contract.names import is_valid_camera_id

    if not is_valid_camera_id(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a camera id (a letter or digit, then up to 62 of letters, digits, '_', '.', '-')")
    return text


def time_point(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        _check_bounds(text, value, low, high)
        return value

    parse.__name__ = "integer"
    return parse


def number(low: float | None = None, high: float | None = None, *, above: float | None = None,
           below: float | None = None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value != value:  # NaN
            raise argparse.ArgumentTypeError(f"{text!r} is not a number")
        _check_bounds(text, value, low, high)
        if above is not None and value <= above:
            raise argparse.ArgumentTypeError(f"{text} must be more than {above:g}")
        if below is not None and value >= below:
            raise argparse.ArgumentTypeError(f"{text} must be less than {below:g}")
        return value

    parse.__name__ = "number"
    return parse


def _check_bounds(text: str, value: float, low: float | None, high: float | None) -> None:
    if low is not None and value < low:
        raise argparse.ArgumentTypeError(f"{text} is below the minimum {low:g}")
    if high is not None and value > high:
        raise argparse.ArgumentTypeError(f"{text} is above the maximum {high:g}")


def add_json(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    parser.add_argument("--json", action="store_true",
                        help=f"print {what} as JSON on stdout (messages go to stderr)")


def add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (it is shown only when stderr is a terminal)")


def choices_help(values: Any) -> str:
    return ", ".join(str(v) for v in values)
