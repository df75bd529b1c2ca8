"""What a "not a person" label, or a candidate model's scores, would have changed on a camera's stored clips."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fixtures.embeddings import vec
from fixtures.records import record_from
from videoalert.domain.embeddings import encode, encode_box
from videoalert.domain.rule import Rule
from videoalert.domain.whatif_memory import CandidateScores, label_effect, label_effects, model_outcome
from videoalert_contract.inference import FrameScore

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STATUE = (0.1, 0.2, 0.3, 0.7)
ELSEWHERE = (0.6, 0.1, 0.8, 0.6)


def near(vector, seed, amount=0.05):
    rng = random.Random(seed)
    return [v + amount * rng.gauss(0, 1) for v in vector]


def clip(minute, regions, decision="ALERT", label=None):
    """A detect-mode clip: regions (box, score, detector score, embedding), each region detecting in 3 frames."""
    start = T0 + timedelta(minutes=minute)
    frames = [{"t": float(t), "score": score, "region": "detect", "box": list(box)}
              for box, score, _, _ in regions for t in range(3)]
    tops = [{"t": 1.0, "score": score, "region": "detect", "embedding_f16": encode(v), "box": encode_box(box),
             "detector_score": det} for box, score, det, v in regions]
    return record_from({"video_id": f"v{minute:02d}", "camera_id": "cam1", "source": "upload", "status": "DONE",
                        "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "decision": decision,
                        "model_threshold": 0.5, "label": label, "frame_scores": frames, "top_embeddings": tops})


STATUE_V = vec(1)
RULE = Rule(cooldown_s=0)


def history():
    return [
        clip(0, [(STATUE, 0.7, 0.3, STATUE_V)]),
        clip(10, [(STATUE, 0.72, 0.32, near(STATUE_V, 2))]),  # the same statue later
        clip(20, [(STATUE, 0.71, 0.3, near(STATUE_V, 3))], label="false_positive"),
        clip(30, [(STATUE, 0.72, 0.31, near(STATUE_V, 4)), (ELSEWHERE, 0.95, 0.9, vec(5))], label="true_positive"),
        clip(40, [(STATUE, 0.97, 0.95, vec(6))], label="true_positive"),  # a person in front of it
        clip(50, [(STATUE, 0.2, 0.1, STATUE_V)], decision="NO_ALERT"),
    ]


def test_a_label_on_the_statue_would_have_kept_its_later_alerts_quiet_and_no_person():
    effect = label_effect(history(), "v00", RULE)
    assert effect.entries == 1 and effect.later_alerts == 4
    assert effect.silenced == ("v10", "v20")  # not v30 (a person beside), not v40 (a person in front)
    assert effect.people_muted == () and effect.false_positives_silenced == 1


def test_the_ranking_puts_the_taps_that_silence_most_first():
    effects = label_effects(history(), RULE)
    assert effects[0].video_id == "v00" and len(effects[0].silenced) == 2
    assert "v30" not in {e.video_id for e in effects}  # a person's alert is not offered as a tap


def test_a_candidate_model_that_scores_the_statue_low_removes_its_alerts_and_keeps_the_people():
    records = history()
    low = {r.video_id: CandidateScores(tuple(FrameScore(f.t, 0.1 if f.box == STATUE and f.score < 0.9 else f.score,
                                                        f.region, f.box) for f in r.frame_scores), 0.5)
           for r in records}
    before, after, scored = model_outcome(records, low, RULE)
    assert scored == 6
    assert (before.alerts_after, after.alerts_after) == (5, 2)
    assert after.false_positives_removed == 1 and after.people_missed == 0 and after.removed == 3
