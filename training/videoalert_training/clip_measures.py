"""What the evaluation counts in a scored clip: each sampled frame's best region, frames over the threshold, rates."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


def best_per_frame(entries: Iterable[Any]) -> dict[float, float]:
    """Each sampled frame's score: the best of its entries (whole frame, proposals, tiles), by time."""
    best: dict[float, float] = {}
    for entry in entries:
        best[entry.t] = max(entry.score, best.get(entry.t, entry.score))
    return best


def frames_over(entries: Iterable[Any], threshold: float) -> tuple[int, int]:
    """(frames whose best region reaches the threshold, frames scored)."""
    best = best_per_frame(entries)
    return sum(score >= threshold for score in best.values()), len(best)


def boxes_over(entries: Iterable[Any], threshold: float) -> list[Any]:
    """The boxes (None: the whole frame) of the entries that reach the threshold."""
    return [entry.box for entry in entries if entry.score >= threshold]


@dataclass(frozen=True)
class Rate:
    """`hits` of `total`; value NaN when there is nothing to count."""

    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else float("nan")

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.hits + other.hits, self.total + other.total)

    def to_json(self) -> dict[str, Any]:
        return {"hits": self.hits, "total": self.total, "rate": None if not self.total else round(self.value, 4)}

    def __str__(self) -> str:
        return f"{self.hits}/{self.total}" + (f" = {self.value:.3f}" if self.total else "")


def precision(true_positives: int, false_positives: int) -> Rate:
    """Of everything over the threshold, the share that was a person."""
    return Rate(true_positives, true_positives + false_positives)
