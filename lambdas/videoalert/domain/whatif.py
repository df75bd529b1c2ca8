"""Threshold what-if: replay stored per-frame scores under candidate rules and compare with what happened."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from videoalert.domain.records import VideoRecord
from videoalert.domain.rule import Rule, decide_frames
from videoalert.domain.types import Aggregate, Decision, Label, Status

CANDIDATE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
CANDIDATE_MIN_FRAMES = (1, 2, 3, 5)
CANDIDATE_AGGREGATES = (Aggregate.MAX, Aggregate.MEDIAN_TOP_K)


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    clips: int
    alerts_before: int
    alerts_after: int
    kept: int
    removed: int
    added: int
    false_positives_removed: int  # labelled false positives that alerted and would not now
    false_positives_alerting: int  # labelled false positives that would still alert
    people_missed: int  # labelled true positives the rule would not detect (cooldown does not count as missed)
    people_labelled: int
    unlabelled_removed: int  # alerts nobody labelled that would no longer alert: possibly people


def model_threshold_of(record: VideoRecord) -> float:
    """The model card's threshold when the clip was decided (older records: the threshold they used)."""
    return float(record.model_threshold or record.threshold or 0.5)


def replay(records: Sequence[VideoRecord], rule: Rule) -> dict[str, Decision]:
    """Each record's decision under the rule, in time order: the rule, recorded suppression, then cooldown (within
    each series: the camera's stream minutes, or the windows of one upload)."""
    decisions: dict[str, Decision] = {}
    events: dict[str, tuple[datetime, datetime]] = {}  # series -> (event start, last positive)
    for record in sorted(records, key=lambda r: (r.window_start, r.video_id)):
        verdict = decide_frames(record.frame_scores or (), rule, model_threshold_of(record)).decision
        if verdict == Decision.ALERT and record.suppressed_by:
            verdict = Decision.SUPPRESSED  # the memory matched then; it would match again
        if verdict == Decision.ALERT and rule.cooldown_s > 0:
            start = record.window_start
            event = events.get(record.series)
            continuing = (event is not None and start - event[1] <= timedelta(seconds=rule.cooldown_s)
                          and not (rule.max_event_s and start - event[0] >= timedelta(seconds=rule.max_event_s)))
            if continuing and event is not None:
                verdict = Decision.COOLDOWN
                events[record.series] = (event[0], start)
            else:
                events[record.series] = (start, start)
        decisions[record.video_id] = verdict
    return decisions


def evaluate(records: Sequence[VideoRecord], rule: Rule) -> RuleOutcome:
    after = replay(records, rule)
    before = {r.video_id: r.decision for r in records}
    labels = {r.video_id: r.label for r in records}
    alerted_before = {v for v, d in before.items() if d == Decision.ALERT}
    alerted_after = {v for v, d in after.items() if d == Decision.ALERT}
    fps = {v for v, label in labels.items() if label == Label.FALSE_POSITIVE}
    people = {v for v, label in labels.items() if label == Label.TRUE_POSITIVE}
    return RuleOutcome(
        rule=rule, clips=len(records), alerts_before=len(alerted_before), alerts_after=len(alerted_after),
        kept=len(alerted_before & alerted_after), removed=len(alerted_before - alerted_after),
        added=len(alerted_after - alerted_before),
        false_positives_removed=len((fps & alerted_before) - alerted_after),
        false_positives_alerting=len(fps & alerted_after),
        people_missed=sum(1 for v in people if after.get(v) in (Decision.NO_ALERT, Decision.SUPPRESSED)),
        people_labelled=len(people),
        unlabelled_removed=len((alerted_before - alerted_after) - fps - people),
    )


def candidates(current: Rule, model_threshold: float) -> list[Rule]:
    thresholds = sorted({*CANDIDATE_THRESHOLDS, round(model_threshold, 3),
                         *(() if current.threshold is None else (current.threshold,))})
    out = [current]
    for threshold in thresholds:
        for min_frames in CANDIDATE_MIN_FRAMES:
            for aggregate in CANDIDATE_AGGREGATES:
                rule = replace(current, threshold=threshold, min_frames=min_frames, aggregate=aggregate)
                if rule not in out:
                    out.append(rule)
    return out


@dataclass(frozen=True)
class Recommendation:
    outcome: RuleOutcome | None
    reason: str


def recommend(outcomes: Sequence[RuleOutcome], current: RuleOutcome) -> Recommendation:
    """The rule that silences the most labelled false positives without missing a labelled person, and among
    those the one that removes the fewest unlabelled alerts (they may be people nobody labelled), then the
    fewest alerts, then the smallest change.

    Without a true-positive label the what-if cannot tell people from false alerts, so it recommends nothing:
    the rule with the fewest alerts would simply be the one that never alerts.
    """
    if current.people_labelled == 0:
        return Recommendation(
            None,
            "no video of this camera is labelled true positive: label a few real alerts "
            "(videoalert feedback VIDEO --true-positive) so the what-if can count people missed",
        )
    safe = [o for o in outcomes if o.people_missed <= current.people_missed]
    best = min(
        safe,
        key=lambda o: (
            o.people_missed,
            o.false_positives_alerting,
            o.unlabelled_removed,
            o.alerts_after,
            _distance(o.rule, current.rule),
        ),
    )
    if (
        best.false_positives_alerting >= current.false_positives_alerting
        and best.people_missed >= current.people_missed
    ):
        return Recommendation(None, "the current rule is already the best candidate")
    return Recommendation(
        best,
        f"{current.alerts_after - best.alerts_after} fewer alerts, "
        f"{best.false_positives_removed} labelled false positives removed, "
        f"{best.people_missed} of {best.people_labelled} labelled people missed, "
        f"{best.unlabelled_removed} unlabelled alerts removed",
    )


def _distance(rule: Rule, current: Rule) -> float:
    """Prefer the smallest change among equally good rules."""
    thr = (rule.threshold or 0.5) - (current.threshold or 0.5)
    return abs(thr) + 0.05 * abs(rule.min_frames - current.min_frames) + 0.01 * (rule.aggregate != current.aggregate)


def decided(records: Iterable[VideoRecord]) -> list[VideoRecord]:
    """The records a replay can use: decided clips with their per-frame scores."""
    return [r for r in records if r.status == Status.DONE and r.frame_scores]
