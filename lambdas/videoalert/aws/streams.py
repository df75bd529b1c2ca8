"""The cameras' Kinesis video streams, control plane: create (KMS, retention, tags) or adopt, describe, the newest
fragment, delete. Clips are read by aws.kvs; this module never touches media."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from videoalert.domain.camera import StreamInfo

MEDIA_TYPE = "video/h264"
# ListFragments pages hold at most 1,000 fragments: at 2 s fragments, half an hour of one camera.
_LIST_PAGE = 1000


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _info(stream: Mapping[str, Any], *, created: bool = False) -> StreamInfo:
    return StreamInfo(name=str(stream["StreamName"]), arn=str(stream["StreamARN"]),
                      status=str(stream.get("Status", "ACTIVE")),
                      retention_hours=int(stream.get("DataRetentionInHours") or 0),
                      kms_key_id=stream.get("KmsKeyId"), created=created)


class KvsStreams:
    """Adapter over a kinesisvideo client (the region's, or the local stand-in's)."""

    def __init__(self, kvs_client: Any, *, archived_media_client_factory: Callable[[str], Any] | None = None):
        self.kvs = kvs_client
        self._factory = archived_media_client_factory or self._default_archived_media_client
        self._archived: dict[str, Any] = {}

    def ensure(self, name: str, *, key_arn: str | None, retention_hours: int, tags: Mapping[str, str]) -> StreamInfo:
        """Create the stream, or adopt the one of that name (a camera added again after a remove that kept its
        stream, or a stream the stack created before the registry existed): adding a camera twice creates nothing."""
        request: dict[str, Any] = {"StreamName": name, "MediaType": MEDIA_TYPE, "DataRetentionInHours": retention_hours,
                                   "Tags": dict(tags)}
        if key_arn:
            request["KmsKeyId"] = key_arn
        try:
            self.kvs.create_stream(**request)
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":
                raise
            found = self.describe(name)
            if found is None:  # deleted between the two calls: nothing to adopt
                raise
            return found
        found = self.describe(name)
        if found is None:
            raise RuntimeError(f"stream {name} was created but cannot be described")
        return StreamInfo(found.name, found.arn, found.status, found.retention_hours, found.kms_key_id, created=True)

    def describe(self, name: str) -> StreamInfo | None:
        try:
            return _info(self.kvs.describe_stream(StreamName=name)["StreamInfo"])
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return None
            raise

    def last_fragment(self, name: str, *, now: datetime, lookback: timedelta) -> datetime | None:
        """Server time of the newest fragment that arrived within lookback of now (None: none arrived)."""
        archived = self._archived_media(name)
        start = now - lookback
        request: dict[str, Any] = {"StreamName": name, "MaxResults": _LIST_PAGE, "FragmentSelector": {
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": now}}}
        newest: datetime | None = None
        while True:
            try:
                page = archived.list_fragments(**request)
            except ClientError as exc:
                if _code(exc) == "ResourceNotFoundException":
                    return newest
                raise
            for fragment in page.get("Fragments", []):
                stamp = fragment["ServerTimestamp"]
                stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
                newest = stamp if newest is None or stamp > newest else newest
            token = page.get("NextToken")
            if not token:
                return newest
            request = {"StreamName": name, "MaxResults": _LIST_PAGE, "NextToken": token}

    def delete(self, name: str) -> bool:
        """Delete the stream and the media it holds; False if there was none."""
        found = self.describe(name)
        if found is None:
            return False
        try:
            self.kvs.delete_stream(StreamARN=found.arn)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return False
            raise
        return True

    def _archived_media(self, name: str) -> Any:
        """A kinesis-video-archived-media client on the stream's LIST_FRAGMENTS endpoint (cached per stream)."""
        if name not in self._archived:
            endpoint = self.kvs.get_data_endpoint(StreamName=name, APIName="LIST_FRAGMENTS")["DataEndpoint"]
            self._archived[name] = self._factory(endpoint)
        return self._archived[name]

    def _default_archived_media_client(self, endpoint_url: str) -> Any:
        return boto3.client("kinesis-video-archived-media", endpoint_url=endpoint_url,
                            region_name=self.kvs.meta.region_name)
