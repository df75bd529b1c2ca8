"""Copy a day's review sample into the review bucket with its manifests; a rerun writes nothing new."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from videoalert.store.cameras import CameraStore
from videoalert.domain.review import (day_bounds, day_prefix, manifest_csv, manifest_jsonl, manifest_row, review_keys,
                              select)
from videoalert.store.videos import VideoRecords


@dataclass(frozen=True)
class ReviewResult:
    day: str
    prefix: str
    sampled: int
    suppressed: int
    objects_copied: int
    manifests_written: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def existing_objects(s3, bucket: str, prefix: str) -> set[str]:
    keys, kwargs = set(), {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**kwargs)
        keys.update(o["Key"] for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return keys
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def sample_day(day: date, *, records: VideoRecords, cameras: CameraStore, s3, video_bucket: str,
               review_bucket: str, band: float) -> ReviewResult:
    """Select the day's clips, copy the missing ones, and (re)write a manifest only when its bytes differ.

    Keys derive from the day and the video ids, so a second run finds everything in place and writes
    nothing; a label added since the first run changes the manifest, which is then rewritten.
    """
    since, until = day_bounds(day)
    day_records = []
    for camera in cameras.all_cameras():
        day_records.extend(records.by_camera(camera.camera_id, since=since, until=until, newest_first=False))
    samples = select(day_records, band=band)
    prefix = day_prefix(day)
    present = existing_objects(s3, review_bucket, prefix)
    copied = 0
    for sample in samples:
        for source_key, review_key in review_keys(day, sample.record):
            if review_key in present:
                continue
            s3.copy_object(Bucket=review_bucket, Key=review_key,
                           CopySource={"Bucket": video_bucket, "Key": source_key},
                           MetadataDirective="REPLACE", ContentType="video/mp4",
                           Metadata={"video-id": sample.record["video_id"], "why": sample.why})
            copied += 1
    rows = [manifest_row(s, day=day, review_bucket=review_bucket, video_bucket=video_bucket) for s in samples]
    written = 0
    for name, body, content_type in (("manifest.jsonl", manifest_jsonl(rows), "application/x-ndjson"),
                                     ("manifest.csv", manifest_csv(rows), "text/csv")):
        key = prefix + name
        if key in present and s3.get_object(Bucket=review_bucket, Key=key)["Body"].read() == body:
            continue
        s3.put_object(Bucket=review_bucket, Key=key, Body=body, ContentType=content_type)
        written += 1
    return ReviewResult(day=day.isoformat(), prefix=prefix, sampled=len(samples),
                        suppressed=sum(1 for s in samples if s.why == "suppressed"), objects_copied=copied,
                        manifests_written=written)
