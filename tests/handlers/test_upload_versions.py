"""Issue 21, case 3: two files uploaded to the same key are two clips; each record is the object version its event
names (the video bucket is versioned)."""
from __future__ import annotations

import pytest

from handlers.conftest import upload_event


def eventbridge_event(bucket, key, etag, version_id):
    return {"version": "0", "source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": bucket},
                       "object": {"key": key, "etag": etag.strip('"'), "version-id": version_id, "size": 1}}}


def s3_event(bucket, key, etag, version_id):
    event = upload_event(bucket, key, etag.strip('"'))
    if version_id:
        event["Records"][0]["s3"]["object"]["versionId"] = version_id
    return event


@pytest.mark.parametrize("shape", ["s3-notification-with-version", "s3-notification-etag-only", "eventbridge"])
def test_two_files_uploaded_to_one_key_are_two_records_each_of_its_own_bytes(wired, invoke, clips_dir, shape):
    # Given two different files uploaded to the same key, one after the other (both versions kept)
    sess, res, deps, inference, _ = wired
    s3 = sess.client("s3")
    key = "uploads/cam1/front.mp4"
    first, second = (clips_dir / "human_01.mp4").read_bytes(), (clips_dir / "horse_01.mp4").read_bytes()
    puts = [s3.put_object(Bucket=res.video_bucket, Key=key, Body=body) for body in (first, second)]
    events = []
    for put in puts:
        version = None if shape == "s3-notification-etag-only" else put["VersionId"]
        make = eventbridge_event if shape == "eventbridge" else s3_event
        events.append(make(res.video_bucket, key, put["ETag"], version))
    # When both events arrive (the first after the key was overwritten), and each once more
    for event in events + events:
        invoke(event)
    # Then there are two records, each holding the bytes of its own upload and naming its version
    records = sorted(deps.records.all(), key=lambda r: r.created_at or "")
    assert len(records) == 2
    stored = {r.upload_version_id: s3.get_object(Bucket=r.s3_bucket, Key=r.s3_key)["Body"].read() for r in records}
    assert stored == {puts[0]["VersionId"]: first, puts[1]["VersionId"]: second}
    assert len(inference.calls) == 2


def test_an_event_whose_version_is_gone_is_skipped_not_replaced_by_the_current_object(wired, invoke, clips_dir):
    # Given an upload event whose object version has since been deleted, while another file now sits at the key
    sess, res, deps, inference, _ = wired
    s3 = sess.client("s3")
    key = "uploads/cam1/front.mp4"
    gone = s3.put_object(Bucket=res.video_bucket, Key=key, Body=(clips_dir / "human_01.mp4").read_bytes())
    s3.put_object(Bucket=res.video_bucket, Key=key, Body=(clips_dir / "horse_01.mp4").read_bytes())
    s3.delete_object(Bucket=res.video_bucket, Key=key, VersionId=gone["VersionId"])
    # When its event arrives
    answer = invoke(s3_event(res.video_bucket, key, gone["ETag"], None))
    # Then it is skipped with the reason; the other file is not recorded in its name
    assert [(o["status"], o["reason"]) for o in answer["outcomes"]] == [("SKIPPED", "OBJECT_GONE")]
    assert list(deps.records.all()) == [] and inference.calls == []
