"""`videoalert tune --label/--labels/--scores`: what a label or a candidate model would have changed, read only."""
from __future__ import annotations

import json
import random

import pytest

from videoalert.domain.embeddings import encode, encode_box

STATUE = [0.1, 0.2, 0.3, 0.7]
PERSON = [0.6, 0.1, 0.8, 0.6]



def vec(seed, base=None):
    rng = random.Random(seed)
    return [(b if base else 0.0) + (0.05 if base else 1.0) * rng.gauss(0, 1) for b in (base or [0.0] * 512)]


def seed_clip(target, minute, regions, label=None):
    from fixtures.records import seed as seed_record
    from videoalert.store.videos import VideoRecords

    frames = [{"t": float(t), "score": s, "region": "detect", "box": box} for box, s, _ in regions for t in range(3)]
    tops = [{"t": 1.0, "score": s, "region": "detect", "embedding_f16": encode(v), "box": encode_box(box),
             "detector_score": 0.3} for box, s, v in regions]
    seed_record(VideoRecords(target.table("videos_table")), {
        "video_id": f"cam1-{minute}", "camera_id": "cam1", "status": "DONE", "decision": "ALERT",
        "window_start": f"2026-11-23T10:{minute:02d}:00Z", "threshold": 0.5, "model_threshold": 0.5,
        "label": label, "frame_scores": frames, "top_embeddings": tops})


@pytest.fixture
def statue_camera(moto_target):
    from videoalert.store.cameras import CameraStore

    cameras = CameraStore(moto_target.table("cameras_table"))
    cameras.update_rule("cam1", cameras.register("cam1").rule.version, cooldown_s=0)  # each clip decided on its own
    statue = vec(1)
    seed_clip(moto_target, 0, [(STATUE, 0.7, statue)])
    seed_clip(moto_target, 1, [(STATUE, 0.72, vec(2, statue))], label="false_positive")
    seed_clip(moto_target, 2, [(PERSON, 0.95, vec(3))], label="true_positive")
    return moto_target


def test_a_label_what_if_names_the_later_alerts_it_would_have_kept_quiet(statue_camera, run):
    code, out, _ = run("tune", "cam1", "--since", "2026-11-01", "--label", "cam1-0", "--json")
    (effect,) = json.loads(out)["labels"]
    assert code == 0 and effect["silenced"] == ["cam1-1"] and effect["people_muted"] == []
    code, out, _ = run("tune", "cam1", "--since", "2026-11-01", "--labels")
    assert code == 0 and "cam1-0" in out and "kept quiet" in out


def test_a_candidate_models_scores_show_the_alerts_that_would_go(statue_camera, run, tmp_path):
    answers = {f"cam1-{m}": {"ok": True, "video_id": f"cam1-{m}", "threshold": 0.6,
                             "frames": [{"t": float(t), "score": s, "region": "detect", "box": box}
                                        for t in range(3)]}
               for m, box, s in ((0, STATUE, 0.2), (1, STATUE, 0.3), (2, PERSON, 0.9))}
    scores = tmp_path / "candidate.json"
    scores.write_text(json.dumps(answers))
    code, out, _ = run("tune", "cam1", "--since", "2026-11-01", "--scores", str(scores), "--json")
    answer = json.loads(out)
    assert code == 0 and answer["scored"] == 3
    assert answer["current_model"]["alerts_after"] == 3 and answer["candidate_model"]["alerts_after"] == 1
    assert answer["candidate_model"]["false_positives_removed"] == 1
    assert answer["candidate_model"]["people_missed"] == 0


def test_a_what_if_refuses_to_apply_and_an_unknown_video_is_a_clear_error(statue_camera, run, tmp_path):
    code, _, err = run("tune", "cam1", "--since", "2026-11-01", "--labels", "--apply")
    assert code == 2 and "drop --apply" in err
    code, _, err = run("tune", "cam1", "--since", "2026-11-01", "--label", "cam1-9")
    assert code == 1 and "cam1-9" in err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = run("tune", "cam1", "--since", "2026-11-01", "--scores", str(bad))
    assert code == 1 and "video id -> inference answer" in err
