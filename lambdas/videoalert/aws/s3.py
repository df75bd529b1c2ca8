"""S3 adapters: clips in the video bucket (store fetched stream clips, move uploads under videos/) and the review
bucket (copy a day's sample, write its manifests)."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from videoalert.domain.records import StoredObject

# The inference call is synchronous and a Lambda function runs for at most 15 minutes, so a URL signed just
# before the call outlives its use; a redrive signs new ones.
URL_EXPIRY_S = 900


class ClipStore:
    def __init__(self, s3_client: Any, bucket: str):
        self.s3 = s3_client
        self.bucket = bucket

    def put(self, key: str, data: bytes, *, video_id: str, camera_id: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="video/mp4",
                           Metadata={"video-id": video_id, "camera-id": camera_id})

    def delete(self, keys: list[str]) -> None:
        """Delete objects of the bucket (a segment's MP4 once it is scored: the minute's clip is stored whole)."""
        if keys:
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})

    def put_frame(self, key: str, jpeg: bytes, *, video_id: str, camera_id: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=jpeg, ContentType="image/jpeg",
                           Metadata={"video-id": video_id, "camera-id": camera_id})

    def exists(self, key: str) -> bool:
        return self.head(self.bucket, key) is not None

    def read(self, key: str) -> bytes | None:
        """A small object of this bucket (a best frame), or None if there is none."""
        try:
            return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise

    def link(self, key: str, expires_s: int) -> str:
        """A presigned HTTPS GET link of one object of this bucket for a person to open (alert, review page)."""
        return str(self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                  ExpiresIn=expires_s))

    def get_urls(self, bucket: str, keys: list[str], expires_s: int = URL_EXPIRY_S) -> list[str]:
        """Presigned GET URLs of the keys (signed locally, no request): the inference function reads the clip with
        them without an S3 client of its own (bench/README.md, cold start)."""
        return [str(self.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                                   ExpiresIn=expires_s)) for key in keys]

    def head(self, bucket: str, key: str, *, version_id: str | None = None) -> StoredObject | None:
        """ETag, LastModified, size and version of an object (the given version, else the current one); None if
        it does not exist (any more)."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key, **extra)
        except ClientError as err:
            if err.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound", "NoSuchVersion", "400"):
                return None
            raise
        return StoredObject(etag=str(head.get("ETag", "")), last_modified=head["LastModified"],
                            size_bytes=int(head.get("ContentLength", 0)), version_id=head.get("VersionId"))

    def find_version(self, bucket: str, key: str, etag: str) -> StoredObject | None:
        """The latest version of key whose ETag is etag (an event that names no version); None if none is left."""
        wanted = etag.strip('"')
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": key}
        while True:
            page = self.s3.list_object_versions(**kwargs)
            found.extend(v for v in page.get("Versions", [])
                         if v["Key"] == key and str(v.get("ETag", "")).strip('"') == wanted)
            if not page.get("IsTruncated"):
                break
            kwargs |= {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
        if not found:
            return None
        latest = max(found, key=lambda v: v["LastModified"])
        version_id = latest.get("VersionId")
        return StoredObject(etag=str(latest["ETag"]), last_modified=latest["LastModified"],
                            size_bytes=int(latest.get("Size", 0)),
                            version_id=None if version_id in (None, "null") else str(version_id))

    def copy_in(self, source_bucket: str, source_key: str, key: str, *, video_id: str, camera_id: str,
                version_id: str | None = None) -> None:
        """Copy the upload (the given version of it) under videos/, with a whole-object checksum of its own: an upload
        sent in parts (over 8 MB) has a composite one, which the copy would otherwise carry without matching it (moto
        does; the readers that check it then refuse the clip)."""
        source = {"Bucket": source_bucket, "Key": source_key} | ({"VersionId": version_id} if version_id else {})
        self.s3.copy_object(Bucket=self.bucket, Key=key, CopySource=source,
                            MetadataDirective="REPLACE", ContentType="video/mp4", ChecksumAlgorithm="CRC32",
                            Metadata={"video-id": video_id, "camera-id": camera_id})


class ReviewBucket:
    """The review bucket, and where its clips are copied from (the video bucket)."""

    def __init__(self, s3_client: Any, bucket: str, *, video_bucket: str):
        self.s3 = s3_client
        self.bucket = bucket
        self.video_bucket = video_bucket

    def keys(self, prefix: str) -> set[str]:
        keys: set[str] = set()
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            page = self.s3.list_objects_v2(**kwargs)
            keys.update(o["Key"] for o in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return keys
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def copy_clip(self, source_key: str, key: str, *, video_id: str, why: str) -> None:
        self.s3.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.video_bucket, "Key": source_key},
                            MetadataDirective="REPLACE", ContentType="video/mp4",
                            Metadata={"video-id": video_id, "why": why})

    def read(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def write(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
