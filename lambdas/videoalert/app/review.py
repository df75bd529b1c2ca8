"""Sample a day for review: copy the day's sample into the review bucket with its manifests; a rerun writes nothing
new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from videoalert.app.ports import Cameras, ReviewBucket, Videos
from videoalert.domain.records import VideoRecord
from videoalert.domain.review import (
    day_bounds,
    day_prefix,
    manifest_csv,
    manifest_jsonl,
    manifest_row,
    review_keys,
    select,
)


@dataclass(frozen=True)
class ReviewResult:
    day: str
    prefix: str
    sampled: int
    suppressed: int
    objects_copied: int
    manifests_written: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sample_day(day: date, *, records: Videos, cameras: Cameras, bucket: ReviewBucket, band: float) -> ReviewResult:
    """Select the day's clips, copy the missing ones, and (re)write a manifest only when its bytes differ.

    Keys derive from the day and the video ids, so a second run finds everything in place and writes
    nothing; a label added since the first run changes the manifest, which is then rewritten.
    """
    since, until = day_bounds(day)
    day_records: list[VideoRecord] = []
    for camera in cameras.all_cameras():
        day_records.extend(records.by_camera(camera.camera_id, since=since, until=until, newest_first=False))
    samples = select(day_records, band=band)
    prefix = day_prefix(day)
    present = bucket.keys(prefix)
    copied = 0
    for sample in samples:
        for source_key, review_key in review_keys(day, sample.record):
            if review_key in present:
                continue
            bucket.copy_clip(source_key, review_key, video_id=sample.record.video_id, why=sample.why)
            copied += 1
    rows = [manifest_row(s, day=day, review_bucket=bucket.bucket, video_bucket=bucket.video_bucket) for s in samples]
    written = 0
    for name, body, content_type in (
        ("manifest.jsonl", manifest_jsonl(rows), "application/x-ndjson"),
        ("manifest.csv", manifest_csv(rows), "text/csv"),
    ):
        key = prefix + name
        if key in present and bucket.read(key) == body:
            continue
        bucket.write(key, body, content_type)
        written += 1
    return ReviewResult(
        day=day.isoformat(),
        prefix=prefix,
        sampled=len(samples),
        suppressed=sum(1 for s in samples if s.why == "suppressed"),
        objects_copied=copied,
        manifests_written=written,
    )
