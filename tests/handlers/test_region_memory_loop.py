"""One tap teaches the camera, through the real handlers and the released models (detect mode) on moto: a real scene's
false alert labelled once keeps the same scene quiet a moment later, an undo brings its alerts back, a person in that
scene still alerts, and the memory stays bounded."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from fixtures.media import CLIPS_DIR, REPO_MODELS
from handlers.loop_support import T0

# A real person-free photo of the validation split whose still clips the released models (detector views stretched)
# alert on at 0.5 (a house front, one of make eval's false alerts at the model's own threshold too). One scene shows
# the loop; how many scenes one tap keeps quiet is bench/memory_learning.py's figure (about four in five: the
# bedroom houses_0100 and the house front houses_0021, for two, still alert a moment later after one tap).
SCENE = "not_person/houses_frontal/houses_0435_frontal.jpg"


@pytest.fixture
def scene_loop(loop, monkeypatch):
    """The false-alert loop with the released models, cam1 in detect mode at threshold 0.5, no cooldown (only the
    memory keeps a clip quiet) and the memory's default distance."""
    from bench.memory_scenes import Scene, scenes
    from videoalert_inference import handler as inference

    monkeypatch.setenv("MODEL_DIR", str(REPO_MODELS))
    inference.reset_runtime()
    loop.deps.cameras.update_rule("cam1", 1, regions="detect", threshold=0.5, cooldown_s=0)
    real = CLIPS_DIR.parent / "real" / "images"
    found = [s for s in scenes(real, "validation") if s.name == SCENE]
    if not found:
        pytest.fail(f"{SCENE} not found under {real}: put ../shared beside the clone")
    scene: Scene = found[0]
    yield loop, scene
    inference.reset_runtime()


def at(loop, minute: int, clip: bytes) -> dict:
    start = T0 + timedelta(minutes=minute)
    loop.source.clips_by_start[("videoalert-cam1", start)] = [clip]
    from handlers.conftest import LambdaContext, scheduled_event

    loop.dispatcher.handler(scheduled_event(start + timedelta(minutes=2, seconds=5)), LambdaContext())
    return loop.deps.records.get(f"cam1-{start:%Y%m%dT%H%M%SZ}").to_item()


def false_entries(loop) -> list:
    return [e for e in loop.deps.memory.entries("cam1") if e.kind == "false_positive"]


def test_a_label_keeps_the_same_scene_quiet_later_and_an_undo_brings_its_alerts_back(scene_loop):
    from bench.memory_scenes import scene_clip

    loop, scene = scene_loop
    # Given the scene's false alert, labelled "not a person" once
    first = at(loop, 0, scene_clip(scene, "tap", 0))
    assert first["decision"] == "ALERT"
    answer = loop.label(first["video_id"], "false_positive")
    assert answer["status"] == 200 and answer["body"]["memory_added"] >= 1
    remembered = false_entries(loop)
    assert remembered and all(e.box is not None and e.detector_score is not None for e in remembered)
    # When the same camera sees the scene a moment later (another crop, light and noise of it)
    later = scene_clip(scene, "later", 3)
    again = at(loop, 1, later)
    # Then the rule would alert, the memory keeps it quiet, and the record says which region matched which label
    assert again["rule_decision"] == "ALERT" and again["decision"] == "SUPPRESSED"
    assert again["suppressed_by"]["video_id"] == first["video_id"] and again["suppressed_by"]["overlap"] >= 0.3
    # When the user undoes the label (that was a person after all)
    undo = loop.label(first["video_id"], "true_positive")
    # Then the label's regions are forgotten and the scene alerts again
    assert undo["status"] == 200 and undo["body"]["memory_removed"] == len(remembered)
    assert false_entries(loop) == []
    assert at(loop, 2, later)["decision"] == "ALERT"
    alerted = [a["body"]["video_id"] for a in loop.alerts()]
    assert first["video_id"] in alerted and again["video_id"] not in alerted


@pytest.mark.parametrize("where", ["in_front", "beside"])
def test_a_person_in_a_labelled_scene_still_alerts(scene_loop, tmp_path, where):
    from bench.memory_scenes import person_clip, scene_clip
    from videoalert_training.cutouts import load_cutouts
    from videoalert_training.data import LabelledImage
    from videoalert_training.realmix import INRIA_RECT

    loop, scene = scene_loop
    inria = sorted((scene.image.path.parents[2] / "person" / "inria_96x160").glob("*.jpg"))[:8]
    people = load_cutouts([LabelledImage(p, 1, "person/inria_96x160") for p in inria], tmp_path, rect=INRIA_RECT)
    # Given the scene's false alert labelled "not a person"
    first = at(loop, 0, scene_clip(scene, "tap", 0))
    loop.label(first["video_id"], "false_positive")
    box = max((f for f in first["frame_scores"] if f.get("box")), key=lambda f: f["score"])["box"]
    # When a person stands in front of the labelled region, or beside it
    person = at(loop, 1, person_clip(scene, people, 0, where, tuple(box)))
    # Then the clip alerts
    assert person["decision"] == "ALERT", person["decision_reason"]


def test_the_memory_of_a_camera_is_bounded_newest_kept(scene_loop):
    from bench.memory_scenes import scene_clip
    from videoalert.store.memory import FpMemory

    loop, scene = scene_loop
    loop.deps.memory = FpMemory(loop.deps.memory.table, capacity=2)
    loop.feedback._stores = dataclasses.replace(loop.feedback._stores, memory=loop.deps.memory)
    # Given three labels on the scene's clips (each adds its detecting regions)
    videos = [at(loop, m, scene_clip(scene, kind, i))["video_id"]
              for m, (kind, i) in enumerate((("tap", 0), ("later", 1), ("later", 3)))]
    for video_id in videos:
        assert loop.label(video_id, "false_positive")["status"] == 200
    # Then the camera keeps at most two entries, the newest label's among them
    entries = false_entries(loop)
    assert len(entries) <= 2 and videos[-1] in {e.video_id for e in entries}
