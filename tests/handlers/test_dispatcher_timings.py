"""The timings a decided record stores add up: the inference stages, plus other, minus overlap, give the total."""
from __future__ import annotations

from handlers.conftest import upload_event


def test_a_decided_record_stores_timings_that_add_up(wired, invoke, clips_dir):
    # Given an uploaded clip whose inference answer reports decode 10 + inference 20 ms of a 35 ms total
    sess, res, deps, inference, _ = wired
    s3 = sess.client("s3")
    s3.put_object(Bucket=res.video_bucket, Key="uploads/cam1/a.mp4", Body=(clips_dir / "empty_01.mp4").read_bytes())
    etag = s3.head_object(Bucket=res.video_bucket, Key="uploads/cam1/a.mp4")["ETag"]
    # When the dispatcher decides it
    invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    # Then the record's timings keep what was measured and name the 5 ms no stage accounts for
    (item,) = sess.resource("dynamodb").Table(res.videos_table).scan()["Items"]
    timings = {k: float(v) for k, v in item["timings_ms"].items()}
    assert timings == {"decode": 10.0, "inference": 20.0, "total": 35.0, "overlap": 0.0, "other": 5.0}
