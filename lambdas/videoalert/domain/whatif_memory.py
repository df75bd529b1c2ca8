"""What-if for the false-positive memory and for a candidate model, on a camera's stored clips.

- A label: had the user tapped "not a person" on one alert, which of the camera's later alerts would the memory
  have kept quiet (the same regions the feedback function remembers, matched by the dispatcher's own code,
  domain.gates.remembered_false_positive), and would any of them be a clip labelled as a person?
- A model: with a candidate model's scores for the same clips (its inference answers), which alerts would stay,
  go or come, and what happens to the labelled false positives and people (domain.whatif.evaluate).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.gates import remembered_false_positive
from videoalert.domain.ids import iso
from videoalert.domain.memory import MemoryEntry, detections
from videoalert.domain.records import VideoRecord
from videoalert.domain.rule import Rule, decide_frames
from videoalert.domain.types import Decision, Label
from videoalert.domain.whatif import RuleOutcome, evaluate, model_threshold_of
from videoalert_contract.inference import FrameScore


@dataclass(frozen=True)
class LabelEffect:
    """What one "not a person" label would have changed on the camera's later clips."""

    video_id: str
    entries: int  # regions the label would remember
    later_alerts: int  # later clips that alerted (what the label could silence)
    silenced: tuple[str, ...]  # of those, the ones the memory would have kept quiet
    people_muted: tuple[str, ...]  # of those, clips labelled as a person: the label's cost
    false_positives_silenced: int  # of those, clips labelled not a person

    def to_item(self) -> dict[str, object]:
        return {"video_id": self.video_id, "entries": self.entries, "later_alerts": self.later_alerts,
                "silenced": list(self.silenced), "people_muted": list(self.people_muted),
                "false_positives_silenced": self.false_positives_silenced}


def label_entries(record: VideoRecord, capacity: int = 50) -> list[MemoryEntry]:
    """The entries a "not a person" label on this clip adds (as the feedback function chooses them: every region of
    a detect-mode clip, the detecting frames of a whole-frame one; the best-scoring up to the capacity)."""
    embeddings: list[FrameEmbedding] = list(record.top_embeddings or ())
    boxed = bool(embeddings) and all(e.box is not None for e in embeddings)
    chosen = embeddings if boxed else detections(embeddings, record.threshold or 0.5)
    added_at = iso(record.window_start)
    return [MemoryEntry(record.camera_id, f"{added_at}#{record.video_id}#{Label.FALSE_POSITIVE}#{i:02d}",
                        record.video_id, e.t, e.score, e.region, e.vector, added_at, box=e.box,
                        detector_score=e.detector_score)
            for i, e in enumerate(sorted(chosen, key=lambda e: -e.score)[:capacity])]


def label_effect(records: Sequence[VideoRecord], video_id: str, rule: Rule) -> LabelEffect:
    """The later alerts of the camera a "not a person" label on `video_id` would have kept quiet (this label's
    memory alone, under the rule's distances; the clips in time order after the labelled one)."""
    labelled = next((r for r in records if r.video_id == video_id), None)
    if labelled is None:
        raise KeyError(video_id)
    entries = label_entries(labelled)
    later = [r for r in records if r.window_start > labelled.window_start and r.video_id != video_id
             and r.decision == Decision.ALERT and r.frame_scores]
    silenced = []
    for record in later:
        verdict = decide_frames(record.frame_scores or (), rule, model_threshold_of(record))
        if verdict.decision != Decision.ALERT:
            continue
        gated = remembered_false_positive(verdict, rule, record.top_embeddings or (), entries,
                                          record.frame_scores or (), record.window_start)
        if gated is not None and gated.decision == Decision.SUPPRESSED:
            silenced.append(record)
    return LabelEffect(video_id, len(entries), len(later), tuple(r.video_id for r in silenced),
                       tuple(r.video_id for r in silenced if r.label == Label.TRUE_POSITIVE),
                       sum(1 for r in silenced if r.label == Label.FALSE_POSITIVE))


def label_effects(records: Sequence[VideoRecord], rule: Rule) -> list[LabelEffect]:
    """Each alert's label effect, most alerts silenced first (the taps that would help most)."""
    effects = [label_effect(records, r.video_id, rule) for r in records
               if r.decision == Decision.ALERT and r.label != Label.TRUE_POSITIVE and r.top_embeddings]
    return sorted(effects, key=lambda e: (len(e.people_muted), -len(e.silenced), e.video_id))


@dataclass(frozen=True)
class CandidateScores:
    """A candidate model's answer for one stored clip: its per-frame scores and its threshold."""

    frames: tuple[FrameScore, ...]
    threshold: float


def model_outcome(records: Sequence[VideoRecord], scores: Mapping[str, CandidateScores],
                  rule: Rule) -> tuple[RuleOutcome, RuleOutcome, int]:
    """The rule's outcome on the stored scores and on the candidate's (the clips it scored), and how many clips
    it scored. The rule's own threshold, if set, stays; otherwise each model's card threshold is used."""
    scored = [r for r in records if r.video_id in scores]
    candidate = [replace(r, frame_scores=scores[r.video_id].frames, model_threshold=scores[r.video_id].threshold,
                         threshold=scores[r.video_id].threshold) for r in scored]
    return evaluate(scored, rule), evaluate(candidate, rule), len(scored)
