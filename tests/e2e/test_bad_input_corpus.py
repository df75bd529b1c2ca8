"""Every bad or awkward input ends in a recorded status with a reason: no crash, no retry, no alert."""
from __future__ import annotations

import pytest
from e2e.conftest import moments

from fixtures.bad_videos import audio_only, encode_video, jpeg_named_mp4, truncated


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, clips_dir_module):
    d = tmp_path_factory.mktemp("corpus")
    good = clips_dir_module / "human_01.mp4"
    return {
        "truncated.mp4": truncated(good, d / "truncated.mp4", keep=0.3),
        "header_only.mp4": truncated(good, d / "header_only.mp4", keep=0.001),
        "zero.mp4": (d / "zero.mp4", (d / "zero.mp4").write_bytes(b""))[0],
        "photo.mp4": jpeg_named_mp4(d / "photo.mp4"),
        "audio_only.mp4": audio_only(d / "audio_only.mp4"),
        "no_video_track.mp4": audio_only(d / "no_video_track.mp4", container="wav"),
        "one_frame.mp4": encode_video(d / "one_frame.mp4", seconds=0.1, fps=10),
        # 4K, ten minutes: one frame every 10 s keeps the fixture quick to make; decoding cost is the point
        "uhd_ten_minutes.mp4": encode_video(d / "uhd_ten_minutes.mp4", seconds=600, fps=0.1, width=3840,
                                            height=2160, gop=3),
    }


@pytest.fixture(scope="module")
def clips_dir_module():
    from videoalert_local.local_run import DEFAULT_CLIPS

    return DEFAULT_CLIPS


EXPECTED = {
    # file: (status, allowed reasons)
    "truncated.mp4": ({"DONE", "REJECTED"}, {None, "CORRUPT_VIDEO", "NO_FRAMES"}),
    "header_only.mp4": ({"REJECTED"}, {"CORRUPT_VIDEO", "NO_FRAMES"}),
    "zero.mp4": ({"REJECTED"}, {"EMPTY_VIDEO"}),
    "photo.mp4": ({"REJECTED"}, {"CORRUPT_VIDEO", "NO_VIDEO_TRACK", "NO_FRAMES"}),
    "audio_only.mp4": ({"REJECTED"}, {"NO_VIDEO_TRACK"}),
    "no_video_track.mp4": ({"REJECTED"}, {"NO_VIDEO_TRACK"}),
    "one_frame.mp4": ({"DONE"}, {None}),
    "uhd_ten_minutes.mp4": ({"DONE", "REJECTED"}, {None, "TOO_LARGE"}),
}


@pytest.mark.slow
def test_each_bad_input_ends_in_its_recorded_status(pipeline, corpus):
    # Given every file of the corpus uploaded for a registered camera, each event delivered twice
    keys = {name: pipeline.upload("cam1", path) for name, path in corpus.items()}
    assert pipeline.deliver() == len(corpus)
    for path in corpus.values():
        pipeline.upload("cam1", path)  # same bytes, same key: S3 sends the event again
    pipeline.deliver()
    pipeline.settle()  # the scheduled runs finish what one upload's run leaves (windows of a long upload)

    # Then each has exactly one record (of its first window), in its expected status with a reason a person can read
    records = [r for r in pipeline.records() if not r.get("upload_of")]
    assert len(records) == len(corpus)
    for name, key in keys.items():
        record = pipeline.record_for_upload(key)
        statuses, reasons = EXPECTED[name]
        assert record["status"] in statuses, (name, record.get("status"), record.get("reason_detail"))
        assert record.get("reason") in reasons, (name, record.get("reason"), record.get("reason_detail"))
        if record["status"] == "REJECTED":
            assert record.get("reason_detail"), name
    # The one-frame video was scored from its single frame
    assert len(moments(pipeline.record_for_upload(keys["one_frame.mp4"]))) == 1
    # The 4K ten-minute file is analysed whole, in ten one-minute windows, each within the frame cap
    uhd = [r for r in pipeline.records() if r.get("upload_key") == keys["uhd_ten_minutes.mp4"]]
    assert len(uhd) == 10 and all(r["status"] == "DONE" and len(moments(r)) <= 120 for r in uhd)


def test_an_unknown_camera_and_a_key_outside_uploads_are_handled(pipeline, clips_dir):
    key = pipeline.upload("ghost-camera", clips_dir / "human_01.mp4")
    pipeline.sess.client("s3").put_object(Bucket=pipeline.res.video_bucket, Key="uploads/stray.mp4", Body=b"x")
    pipeline.deliver()
    record = pipeline.record_for_upload(key)
    assert (record["status"], record["reason"]) == ("REJECTED", "UNKNOWN_CAMERA")
    assert len(pipeline.records()) == 1 and pipeline.alerts() == []
