"""The review sampler on moto: near-threshold and suppressed clips with manifests under a dated prefix; a rerun is a
no-op."""

from __future__ import annotations

import csv
import io
import json

import pytest

from handlers.conftest import LambdaContext


@pytest.fixture
def sampler(loop, monkeypatch):
    import review_sampler

    from videoalert.aws.s3 import ReviewBucket
    from videoalert.config.review import ReviewSettings
    from videoalert.wiring import ReviewDependencies

    settings = ReviewSettings(
        videos_table=loop.res.videos_table,
        cameras_table=loop.res.cameras_table,
        video_bucket=loop.res.video_bucket,
        review_bucket=loop.res.review_bucket,
        band=0.15,
    )
    bucket = ReviewBucket(loop.sess.client("s3"), loop.res.review_bucket, video_bucket=loop.res.video_bucket)
    monkeypatch.setattr(
        review_sampler, "_deps", (settings, ReviewDependencies(loop.deps.records, loop.deps.cameras, bucket))
    )
    return lambda event: review_sampler.handler(event, LambdaContext())


def versions(loop):
    """Every object version in the (versioned) review bucket: a rewrite would add one."""
    listing = loop.sess.client("s3").list_object_versions(Bucket=loop.res.review_bucket)
    return sorted((v["Key"], v["VersionId"]) for v in listing.get("Versions", []))


def test_a_day_is_sampled_once_and_a_second_run_changes_nothing(loop, sampler):
    # Given a day on cam1 (threshold 0.6): a statue alert (0.69) labelled false positive, its suppressed return,
    # a clip just under the threshold (horse_01, 0.53) and one far under it (human_01, 0.36)
    loop.deps.cameras.update_rule("cam1", 1, threshold=0.6)
    statue = loop.minute(0, "empty_02")
    loop.label(statue["video_id"], "false_positive", tags=["statue"])
    suppressed = loop.minute(20, "empty_02")
    near = loop.minute(40, "horse_01")
    far = loop.minute(50, "human_01")
    assert (suppressed["decision"], near["decision"], far["decision"]) == ("SUPPRESSED", "NO_ALERT", "NO_ALERT")
    # When the schedule fires the next morning, twice
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-11-24T03:15:00Z"}
    first = sampler(event)
    objects = versions(loop)
    second = sampler(event)
    # Then the suppressed clip and the near-threshold ones are copied under review/2026/11/23/ with two manifests
    assert first["ok"] and first["prefix"] == "review/2026/11/23/" and first["manifests_written"] == 2
    keys = {k for k, _ in objects}
    assert f"review/2026/11/23/cam1/{suppressed['video_id']}.mp4" in keys
    assert f"review/2026/11/23/cam1/{near['video_id']}.mp4" in keys
    assert f"review/2026/11/23/cam1/{far['video_id']}.mp4" not in keys  # 0.36 is far from 0.6
    assert {"review/2026/11/23/manifest.jsonl", "review/2026/11/23/manifest.csv"} <= keys
    assert first["sampled"] == 3 and first["suppressed"] == 1  # the statue alert, its return, horse_01
    # And the second run copied and wrote nothing: the bucket's versions are unchanged
    assert (second["objects_copied"], second["manifests_written"]) == (0, 0) and versions(loop) == objects
    s3 = loop.sess.client("s3")
    rows = [
        json.loads(line)
        for line in s3.get_object(Bucket=loop.res.review_bucket, Key="review/2026/11/23/manifest.jsonl")[
            "Body"
        ].iter_lines()
    ]
    row = next(r for r in rows if r["video_id"] == suppressed["video_id"])
    assert row["why"] == "suppressed" and row["suppressed_by"] == statue["video_id"] and row["model_version"]
    assert row["location"].startswith(f"s3://{loop.res.review_bucket}/review/2026/11/23/cam1/")
    assert len(row["best_frames"]) == 3
    table = list(
        csv.DictReader(
            io.StringIO(
                s3.get_object(Bucket=loop.res.review_bucket, Key="review/2026/11/23/manifest.csv")["Body"]
                .read()
                .decode()
            )
        )
    )
    assert sorted(r["video_id"] for r in table) == sorted(r["video_id"] for r in rows)


def test_a_label_given_after_the_run_rewrites_only_the_manifests(loop, sampler):
    loop.deps.cameras.update_rule("cam1", 1, threshold=0.6)
    near = loop.minute(0, "human_02")
    sampler({"date": "2026-11-23"})
    loop.label(near["video_id"], "true_positive", tags=["postman"])
    again = sampler({"date": "2026-11-23"})
    assert (again["objects_copied"], again["manifests_written"]) == (0, 2)


def test_a_bad_event_is_reported_not_retried(loop, sampler):
    answer = sampler({"date": "yesterday"})
    assert answer["ok"] is False and answer["error"]["code"] == "BAD_EVENT"
