"""Motion-gated regions on real encoded video: boxes follow a small walking person; a still object, a light
switching on and a passing cloud make none; the handler returns full and motion entries as asked."""
from __future__ import annotations

import json

import numpy as np
import pytest
from test_inference_handler import LambdaContext, handler, put, request

from fixtures.media import REPO_MODELS
from tests.fixtures import motion_scenes
from videoalert_inference.frames import FrameSampler
from videoalert_inference.model import CARD_FILE, MODEL_FILE, load_classifier
from videoalert_inference.motion import Box, MotionDetector, MotionSettings
from videoalert_inference.scoring import ScoringRequest, score_clip

pytestmark = pytest.mark.skipif(not motion_scenes.VALIDATION.exists(),
                                reason=f"validation renders not on this machine ({motion_scenes.VALIDATION})")


def boxes_per_second(video: bytes) -> dict[float, list[Box]]:
    detector = MotionDetector()
    return {frame.t: detector.boxes(frame.image) for frame in FrameSampler(1.0, 120).sample(video)}


def coverage(box: Box, truth: tuple[int, int, int, int]) -> float:
    """Share of the subject's true box inside the motion box."""
    x0, y0, x1, y1 = max(box.x0, truth[0]), max(box.y0, truth[1]), min(box.x1, truth[2]), min(box.y1, truth[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / ((truth[2] - truth[0]) * (truth[3] - truth[1]))


@pytest.fixture(scope="module")
def walking():
    return motion_scenes.walking_person(seconds=12, height_fraction=0.15, enters_s=2.0)


def test_boxes_follow_a_small_person_walking_across_the_scene(walking):
    # Given a person 15 % of the frame high walking across a textured field from 2 s on, on a noisy sensor
    # When the clip is sampled at 1 fps and each frame's moving regions are found
    found = boxes_per_second(walking.video)
    # Then there is no region before the person enters
    assert all(not found[t] for t in found if walking.truth[t] is None)
    # And from then on each second has one box, which holds the person where they are at that moment
    present = [t for t in found if walking.truth[t] is not None]
    assert len(present) == 10
    for t in present:
        assert len(found[t]) == 1, (t, found[t])
        assert coverage(found[t][0], walking.truth[t]) >= 0.9, (t, found[t][0], walking.truth[t])
    # And the boxes are square crops inside the frame, small enough to enlarge a far person for the model
    for box in (found[t][0] for t in present):
        assert box.x1 - box.x0 == box.y1 - box.y0
        assert 0 <= box.x0 < box.x1 <= 640 and 0 <= box.y0 < box.y1 <= 480
        assert box.area <= 0.1 * 640 * 480


def test_a_person_who_never_moves_gives_no_region_at_all():
    # Given a large person standing perfectly still (a statue, a poster) on a noisy sensor for 10 s
    scene = motion_scenes.standing_person(seconds=10)
    # When its moving regions are looked for
    found = boxes_per_second(scene.video)
    # Then there are none: a static object never reaches the model as a motion region
    assert len(found) == 10 and all(boxes == [] for boxes in found.values())


@pytest.mark.parametrize("make", [motion_scenes.lights_switch, motion_scenes.passing_cloud],
                         ids=["light switched on", "cloud shadow"])
def test_a_change_of_light_does_not_flood_the_model_with_regions(make):
    # Given an empty scene whose lighting changes (a lamp switched on at 5 s, or a cloud shadow crossing)
    scene = make(seconds=10)
    # When its moving regions are looked for
    found = boxes_per_second(scene.video)
    # Then no frame yields a region: there is nothing there but light
    assert len(found) == 10
    assert {t: boxes for t, boxes in found.items() if boxes} == {}


def test_the_shared_clips_with_changing_light_give_no_region(real_clip):
    # Given the two empty developer clips (drifting clouds; a light switching)
    for name in ("empty_01.mp4", "empty_02.mp4"):
        # When their moving regions are looked for, Then there are none in 60 s
        found = boxes_per_second(real_clip(name))
        assert len(found) == 60 and sum(len(b) for b in found.values()) == 0, name


def test_no_more_regions_than_the_cap_however_much_moves(walking):
    # Given three people walking far apart (the walking person's band of the frame copied twice, shifted)
    uncapped, capped = MotionDetector(), MotionDetector(MotionSettings(max_boxes=2))
    most_uncapped = 0
    for frame in FrameSampler(1.0, 120).sample(walking.video):
        image = frame.image.copy()
        band = image[200:320].copy()
        image[0:120], image[360:480] = band, np.roll(band, 200, axis=1)
        # When regions are found with the default cap and with a cap of 2
        most_uncapped = max(most_uncapped, len(uncapped.boxes(image)))
        boxes = capped.boxes(image)
        # Then the capped detector never gives more than 2, the largest first
        assert len(boxes) <= 2
        assert [b.area for b in boxes] == sorted((b.area for b in boxes), reverse=True)
    # while without that cap the same frames do show three movers
    assert most_uncapped == 3


def test_the_handler_returns_full_and_motion_entries_when_both_are_asked(inference_env, walking):
    # Given the walking-person clip in S3
    put(inference_env, "videos/cam1/clip.mp4", walking.video)
    # When the function is asked for the whole frame and the motion regions
    response = handler(request(regions="both"), LambdaContext())
    # Then every sampled second has its "full" entry, exactly as before (no box)
    assert response["ok"] is True
    full = [f for f in response["frames"] if f["region"] == "full"]
    assert [f["t"] for f in full] == [float(s) for s in range(12)] and all("box" not in f for f in full)
    # And each second with the person moving has a "motion" entry whose box (fractions of the frame) holds them
    motion = [f for f in response["frames"] if f["region"] == "motion"]
    assert sorted({f["t"] for f in motion}) == [float(s) for s in range(2, 12)]
    for entry in motion:
        x0, y0, x1, y1 = entry["box"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 and entry["box"] == [round(v, 3) for v in entry["box"]]
        truth = walking.truth[entry["t"]]
        cx, cy = (truth[0] + truth[2]) / 2 / 640, (truth[1] + truth[3]) / 2 / 480
        assert x0 <= cx <= x1 and y0 <= cy <= y1
    # And the top embeddings say which region they describe
    assert all(e["region"] in ("full", "motion") and ("box" in e) == (e["region"] == "motion")
               for e in response["top_embeddings"])
    assert json.loads(json.dumps(response)) == response


def test_motion_only_on_a_still_scene_scores_nothing_and_says_so(inference_env):
    # Given a clip where nothing moves
    put(inference_env, "videos/cam1/clip.mp4", motion_scenes.standing_person(seconds=4).video)
    # When only motion regions are asked for
    response = handler(request(regions="motion"), LambdaContext())
    # Then the answer is a success with no scores (nothing could alert) rather than an error
    assert response["ok"] is True and response["frames"] == [] and response["top_embeddings"] == []
    assert response["video"]["duration_s"] == pytest.approx(4, abs=0.1)


def test_an_unknown_regions_mode_is_a_bad_request(inference_env, walking):
    put(inference_env, "videos/cam1/clip.mp4", walking.video)
    response = handler(request(regions="bogus"), LambdaContext())
    assert response["ok"] is False and response["error"]["code"] == "BAD_REQUEST"
    assert "regions" in response["error"]["message"]


def test_the_released_model_sees_a_far_person_better_in_its_motion_region(walking):
    # Given the released model and a person 15 % of the frame high walking across a field
    if not (REPO_MODELS / MODEL_FILE).exists() or not (REPO_MODELS / CARD_FILE).exists():
        pytest.fail(f"no released model in {REPO_MODELS}: run `make train` or restore models/ from git")
    classifier = load_classifier(REPO_MODELS, intra_op_threads=1)
    # When the clip is scored on whole frames and on motion regions
    scores = score_clip(walking.video, classifier, ScoringRequest(regions="both"))
    full = {f.t: f.score for f in scores.frames if f.region == "full"}
    motion = {f.t: f.score for f in scores.frames if f.region == "motion"}
    # Then in most seconds with the person, the motion crop scores higher than the whole frame
    present = [t for t in full if walking.truth[t] is not None]
    assert sum(motion.get(t, 0.0) > full[t] for t in present) >= 0.8 * len(present)
    # And the motion region reaches the model's threshold in more seconds (and at least the rule's two) than
    # the whole frame does: with whole frames alone this person is easily missed
    over_motion = sum(motion.get(t, 0.0) >= classifier.threshold for t in present)
    over_full = sum(full[t] >= classifier.threshold for t in present)
    assert over_motion >= 2 and over_motion > over_full
