"""The per-camera decision rule: turn per-frame person scores into ALERT or NO_ALERT."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

ALERT = "ALERT"
NO_ALERT = "NO_ALERT"


@dataclass(frozen=True)
class Rule:
    """ALERT when at least min_frames sampled frames reach the threshold (None: the model card's)."""

    threshold: float | None = None
    min_frames: int = 2
    version: int = 1

    def __post_init__(self):
        if self.min_frames < 1:
            raise ValueError("min_frames must be at least 1")
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")

    def effective_threshold(self, model_threshold: float) -> float:
        return model_threshold if self.threshold is None else self.threshold

    def to_item(self) -> dict:
        return asdict(self)

    @classmethod
    def from_item(cls, item: dict | None) -> "Rule":
        item = item or {}
        threshold = item.get("threshold")
        return cls(
            threshold=None if threshold is None else float(threshold),
            min_frames=int(item.get("min_frames", 2)),
            version=int(item.get("version", 1)),
        )


@dataclass(frozen=True)
class Decision:
    decision: str
    threshold: float
    max_score: float
    frames_over_threshold: int
    deciding_score: float  # the min_frames-th highest score: how far the clip was from flipping
    reason: str = ""
    frames_considered: int = 0
    details: dict = field(default_factory=dict)


def decide(scores: Sequence[float], rule: Rule, model_threshold: float) -> Decision:
    threshold = rule.effective_threshold(model_threshold)
    ranked = sorted((float(s) for s in scores), reverse=True)
    over = sum(1 for s in ranked if s >= threshold)
    deciding = ranked[rule.min_frames - 1] if len(ranked) >= rule.min_frames else (ranked[-1] if ranked else 0.0)
    verdict = ALERT if over >= rule.min_frames else NO_ALERT
    return Decision(
        decision=verdict,
        threshold=threshold,
        max_score=ranked[0] if ranked else 0.0,
        frames_over_threshold=over,
        deciding_score=deciding,
        reason=f"{over} of {len(ranked)} frames >= {threshold:.3f} (need {rule.min_frames})",
        frames_considered=len(ranked),
    )
