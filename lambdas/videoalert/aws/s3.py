"""Clips in the video bucket: store fetched stream clips, move uploads under videos/."""
from __future__ import annotations

from botocore.exceptions import ClientError


# The inference call is synchronous and a Lambda function runs for at most 15 minutes, so a URL signed just
# before the call outlives its use; a redrive signs new ones.
URL_EXPIRY_S = 900


class ClipStore:
    def __init__(self, s3_client, bucket: str):
        self.s3 = s3_client
        self.bucket = bucket

    def put(self, key: str, data: bytes, *, video_id: str, camera_id: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="video/mp4",
                           Metadata={"video-id": video_id, "camera-id": camera_id})

    def get_urls(self, bucket: str, keys: list[str], expires_s: int = URL_EXPIRY_S) -> list[str]:
        """Presigned GET URLs of the keys (signed locally, no request): the inference function reads the clip with
        them without an S3 client of its own (bench/README.md, cold start)."""
        return [self.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                               ExpiresIn=expires_s) for key in keys]

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
