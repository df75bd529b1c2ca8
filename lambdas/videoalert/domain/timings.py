"""A scored clip's stage timings, made to add up: download + decode + preprocess + detect + inference + other - overlap
= total (detect: the person detector, regions "detect" only).

The inference function decodes and scores on parallel threads, so its stage times (each summed over the
threads that ran it) can exceed its wall-clock total; `overlap` is that excess (time counted in more than one
stage) and `other` the wall time no stage accounts for. One of the two is always 0.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAGES = ("download", "decode", "preprocess", "detect", "inference")


def _tenths(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(float(value) * 10)


def reconcile(timings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The timings with `overlap` and `other` (ms, one decimal) added when a total is known; else as given."""
    if timings is None:
        return None
    result = dict(timings)
    total = _tenths(timings.get("total"))
    if total is None:
        return result
    busy = sum(t for t in (_tenths(timings.get(s)) for s in STAGES) if t is not None)
    result["overlap"] = max(0, busy - total) / 10
    result["other"] = max(0, total - busy) / 10
    return result
