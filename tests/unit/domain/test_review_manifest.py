"""Which clips go to review, where they go and what the manifest rows say (pure)."""
import csv
import io
import json
from datetime import date

from fixtures.records import record_from
from videoalert.domain.review import manifest_csv, manifest_jsonl, manifest_row, review_keys, select

DAY = date(2026, 11, 23)


def rec(vid, decision, deciding, **extra):
    return record_from(
        {
            "video_id": vid,
            "camera_id": "cam1",
            "status": "DONE",
            "decision": decision,
            "deciding_score": deciding,
            "threshold": 0.6,
            "window_start": "2026-11-23T10:00:00Z",
            "s3_bucket": "vb",
            "s3_key": f"videos/cam1/2026/11/23/{vid}.mp4",
            "model_version": "m1",
            "rule_version": 2,
            "frame_scores": [{"t": 0.0, "score": 0.2}, {"t": 1.0, "score": deciding}, {"t": 2.0, "score": 0.9}],
            **extra,
        }
    )


def test_near_threshold_and_every_suppressed_clip_are_sampled_and_the_rest_are_not():
    records = [
        rec("a", "ALERT", 0.65),
        rec("b", "NO_ALERT", 0.5),
        rec("c", "ALERT", 0.99),
        rec("d", "SUPPRESSED", 0.99, suppressed_by={"video_id": "old", "distance": 0.04}),
        rec("e", "NO_ALERT", 0.05),
        rec("f", "ALERT", 0.6, status="PROCESSING"),
    ]
    picked = select(records, band=0.15)
    assert [(s.record.video_id, s.why) for s in picked] == [
        ("a", "near_threshold"),
        ("b", "near_threshold"),
        ("d", "suppressed"),
    ]


def test_review_keys_are_dated_and_named_after_the_video_for_every_part():
    record = rec("cam1-x", "ALERT", 0.6, more_keys=["videos/cam1/2026/11/23/cam1-x-part2.mp4"])
    assert review_keys(DAY, record) == [
        ("videos/cam1/2026/11/23/cam1-x.mp4", "review/2026/11/23/cam1/cam1-x.mp4"),
        ("videos/cam1/2026/11/23/cam1-x-part2.mp4", "review/2026/11/23/cam1/cam1-x.part2.mp4"),
    ]


def test_manifest_rows_carry_scores_decision_model_tags_best_frames_and_location():
    (sample,) = select(
        [
            rec(
                "d",
                "SUPPRESSED",
                0.7,
                suppressed_by={"video_id": "old", "distance": 0.04},
                label="false_positive",
                label_tags=["statue"],
            )
        ],
        band=0.15,
    )
    row = manifest_row(sample, day=DAY, review_bucket="rb", video_bucket="vb")
    assert row["location"] == "s3://rb/review/2026/11/23/cam1/d.mp4" and row["source"].startswith("s3://vb/videos/")
    assert (row["decision"], row["suppressed_by"], row["model_version"], row["tags"]) == (
        "SUPPRESSED",
        "old",
        "m1",
        ["statue"],
    )
    assert row["best_frames"] == [{"t": 2.0, "score": 0.9}, {"t": 1.0, "score": 0.7}, {"t": 0.0, "score": 0.2}]
    assert json.loads(manifest_jsonl([row]).decode()) == row
    (parsed,) = list(csv.DictReader(io.StringIO(manifest_csv([row]).decode())))
    assert parsed["best_frames"] == "2s@0.900;1s@0.700;0s@0.200" and parsed["tags"] == "statue"
    assert manifest_csv([row]) == manifest_csv([row])  # byte-identical: a rerun can compare before writing
