"""Clips in the video bucket: store fetched stream clips, move uploads under videos/."""
from __future__ import annotations

from botocore.exceptions import ClientError


class ClipStore:
    def __init__(self, s3_client, bucket: str):
        self.s3 = s3_client
        self.bucket = bucket

    def put(self, key: str, data: bytes, *, video_id: str, camera_id: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="video/mp4",
                           Metadata={"video-id": video_id, "camera-id": camera_id})

    def head(self, bucket: str, key: str) -> dict | None:
        """Size, ETag and LastModified of an object; None if it does not exist."""
        try:
            return self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as err:
            if err.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def copy_in(self, source_bucket: str, source_key: str, key: str, *, video_id: str, camera_id: str) -> None:
        self.s3.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": source_key},
                            MetadataDirective="REPLACE", ContentType="video/mp4",
                            Metadata={"video-id": video_id, "camera-id": camera_id})
