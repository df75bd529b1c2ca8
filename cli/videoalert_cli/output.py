"""What commands print: data on stdout (a table, or JSON with --json), remarks and progress on stderr."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_plain)


def print_json(data: Any) -> None:
    print(to_json(data))


def note(message: str) -> None:
    """A remark for the person at the terminal, never part of the data."""
    print(message, file=sys.stderr)


def progress(*, total: float | None = None, unit: str = "it", desc: str = "", disabled: bool = False,
             unit_scale: bool = False) -> Any:
    """A tqdm bar on stderr, drawn only when stderr is a terminal and --no-progress was not given."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, disable=True if disabled else None,
                unit_scale=unit_scale, leave=False, dynamic_ncols=True)
