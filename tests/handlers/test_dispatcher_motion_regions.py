"""The dispatcher asks for the regions the camera's rule names and keeps each score's box in the record."""
from __future__ import annotations

import dataclasses

from handlers.conftest import upload_event
from videoalert.domain.rule import Rule
from videoalert_contract.inference import FrameScore


def test_a_motion_camera_gets_motion_regions_scored_and_their_boxes_recorded(wired, invoke, clips_dir):
    # Given cam1's rule asks for the whole frame and the motion regions
    sess, res, deps, inference, _ = wired
    deps.cameras.put_rule("cam1", Rule(regions="both"))
    answer = inference.score

    def with_motion(request):
        # the inference double adds one motion box per frame, scored high: a small person far away
        result = answer(request)
        motion = tuple(FrameScore(f.t, 0.9, "motion", (0.6, 0.2, 0.75, 0.4)) for f in result.frames)
        return dataclasses.replace(result, frames=result.frames + motion)

    inference.scores = [0.1, 0.2, 0.1]
    inference.score = with_motion
    s3 = sess.client("s3")
    s3.put_object(Bucket=res.video_bucket, Key="uploads/cam1/a.mp4", Body=(clips_dir / "human_01.mp4").read_bytes())
    etag = s3.head_object(Bucket=res.video_bucket, Key="uploads/cam1/a.mp4")["ETag"]

    # When the upload is processed
    invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))

    # Then the inference request named the camera's regions
    assert inference.calls[0]["regions"] == "both"
    # and the motion region decided the clip, with every box kept beside its score
    (record,) = sess.resource("dynamodb").Table(res.videos_table).scan()["Items"]
    assert record["decision"] == "ALERT" and record["region"] == "motion"
    assert record["rule"]["regions"] == "both"
    boxes = [[float(v) for v in f["box"]] for f in record["frame_scores"] if f["region"] == "motion"]
    assert boxes == [[0.6, 0.2, 0.75, 0.4]] * 3
    assert all("box" not in f for f in record["frame_scores"] if f["region"] == "full")


def test_a_camera_with_the_default_rule_asks_for_person_proposals(wired, invoke, clips_dir):
    sess, res, deps, inference, _ = wired
    s3 = sess.client("s3")
    s3.put_object(Bucket=res.video_bucket, Key="uploads/cam1/b.mp4", Body=(clips_dir / "empty_01.mp4").read_bytes())
    etag = s3.head_object(Bucket=res.video_bucket, Key="uploads/cam1/b.mp4")["ETag"]
    invoke(upload_event(res.video_bucket, "uploads/cam1/b.mp4", etag))
    assert inference.calls[0]["regions"] == "detect"
