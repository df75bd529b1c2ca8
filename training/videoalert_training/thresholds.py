"""Pick the decision threshold: the fewest false positives while person recall stays at the target."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int
    recall: float
    precision: float
    fpr: float


def confusion_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> ThresholdRow:
    """Counts for "person when score >= threshold" (the same rule the pipeline applies per frame)."""
    pred = scores >= threshold
    pos = labels == 1
    tp, fp = int(np.sum(pred & pos)), int(np.sum(pred & ~pos))
    fn, tn = int(np.sum(~pred & pos)), int(np.sum(~pred & ~pos))
    return ThresholdRow(threshold=float(threshold), tp=tp, fp=fp, fn=fn, tn=tn,
                        recall=tp / max(tp + fn, 1), precision=tp / max(tp + fp, 1), fpr=fp / max(fp + tn, 1))


def choose_threshold(scores: np.ndarray, labels: np.ndarray, target_recall: float = 0.99) -> tuple[float, dict]:
    """Highest threshold whose recall meets the target (hence fewest FPs), placed midway in logit space
    between the lowest accepted person score and the next score below it, for a margin on both sides."""
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels).astype(int)
    positives = np.sort(scores[labels == 1])[::-1]
    if len(positives) == 0:
        raise ValueError("threshold choice needs at least one positive example")
    needed = int(np.ceil(target_recall * len(positives) - 1e-9))
    lowest_accepted = positives[max(needed, 1) - 1]
    below = scores[scores < lowest_accepted]
    eps = 1e-6
    if len(below):
        logit = lambda p: np.log(np.clip(p, eps, 1 - eps) / (1 - np.clip(p, eps, 1 - eps)))  # noqa: E731
        mid = (logit(lowest_accepted) + logit(below.max())) / 2
        threshold = float(1 / (1 + np.exp(-mid)))
    else:
        threshold = float(lowest_accepted)
    row = confusion_at(scores, labels, threshold)
    policy = {"rule": "fewest false positives with validation person recall >= target_recall; "
                      "midpoint (logit space) between the lowest accepted person score and the next lower score",
              "target_recall": target_recall, "achieved_recall": row.recall, "false_positives": row.fp,
              "negatives": row.fp + row.tn, "lowest_accepted_person_score": float(lowest_accepted),
              "next_lower_score": float(below.max()) if len(below) else None}
    return threshold, policy


def threshold_table(scores: np.ndarray, labels: np.ndarray, extra: list[float] = ()) -> list[dict]:
    grid = sorted(set(np.round(np.concatenate([np.linspace(0.05, 0.95, 19), [0.01, 0.02, 0.98, 0.99]]), 4))
                  | {round(float(t), 6) for t in extra})
    return [asdict(confusion_at(scores, labels, t)) for t in grid]


def format_table(rows: list[dict]) -> str:
    lines = [f"{'threshold':>10} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'recall':>7} {'precision':>9} {'FPR':>6}"]
    for r in rows:
        lines.append(f"{r['threshold']:>10.4f} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} {r['tn']:>4} "
                     f"{r['recall']:>7.3f} {r['precision']:>9.3f} {r['fpr']:>6.3f}")
    return "\n".join(lines)
