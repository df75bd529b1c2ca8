"""The videos table: one item per clip, every state change a conditional write."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from videoalert.store.dynamo_values import from_dynamo, to_dynamo
from videoalert.domain.ids import iso
from videoalert_contract.names import VIDEOS_BY_CAMERA_INDEX, VIDEOS_BY_CAMERA_PARTITION_KEY, VIDEOS_BY_CAMERA_SORT_KEY

RECEIVED = "RECEIVED"
PROCESSING = "PROCESSING"
DONE = "DONE"
FAILED = "FAILED"
REJECTED = "REJECTED"  # bad input: recorded with a reason, never retried
NO_MEDIA = "NO_MEDIA"
TERMINAL_STATUSES = frozenset({DONE, REJECTED, NO_MEDIA})
# A record stuck in PROCESSING longer than this was left by a crashed run and may be taken over.
STALE_PROCESSING = timedelta(minutes=15)


def _conditional_failed(err: ClientError) -> bool:
    return err.response["Error"]["Code"] == "ConditionalCheckFailedException"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class VideoRecords:
    """Adapter over the videos table (a boto3 Table resource is injected)."""

    def __init__(self, table, *, retention_days: int, clock=now_utc):
        self.table = table
        self.retention_days = retention_days
        self.clock = clock

    def create(self, item: dict[str, Any]) -> bool:
        """Put a new record; False when one with this video_id exists already (first writer wins)."""
        now = self.clock()
        item = {**item, "created_at": iso(now), "updated_at": iso(now),
                "expires_at": int((now + timedelta(days=self.retention_days)).timestamp())}
        try:
            self.table.put_item(Item=to_dynamo(item), ConditionExpression=Attr("video_id").not_exists())
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    def get(self, video_id: str) -> dict | None:
        item = self.table.get_item(Key={"video_id": video_id}, ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def claim(self, video_id: str, *, allow_from: tuple[str, ...] = (RECEIVED,)) -> dict | None:
        """Move a record to PROCESSING if it is in one of allow_from or stuck in PROCESSING.

        Returns the claimed record (the update's own answer: no second read), or None if it was not claimable.
        """
        now = self.clock()
        stale_before = iso(now - STALE_PROCESSING)
        condition = Attr("status").is_in(list(allow_from)) | (
            Attr("status").eq(PROCESSING) & Attr("updated_at").lt(stale_before))
        try:
            response = self.table.update_item(
                Key={"video_id": video_id},
                UpdateExpression="SET #s = :p, updated_at = :now ADD attempts :one",
                ConditionExpression=Attr("video_id").exists() & condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":p": PROCESSING, ":now": iso(now), ":one": 1},
                ReturnValues="ALL_NEW",
            )
            return from_dynamo(response["Attributes"])
        except ClientError as err:
            if _conditional_failed(err):
                return None
            raise

    def finish(self, video_id: str, status: str, fields: dict[str, Any]) -> dict:
        """Record the outcome of a PROCESSING record (the condition keeps a finished record final).

        Returns the record as stored after the update."""
        values = to_dynamo({k: v for k, v in fields.items() if v is not None} | {"status": status, "updated_at": iso(self.clock())})
        names = {f"#a{i}": k for i, k in enumerate(values)}
        placeholders = {f":a{i}": v for i, v in enumerate(values.values())}
        sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
        removes = [k for k, v in fields.items() if v is None]
        expr = f"SET {sets}" + (f" REMOVE {', '.join('#d' + str(i) for i in range(len(removes)))}" if removes else "")
        names.update({f"#d{i}": k for i, k in enumerate(removes)})
        response = self.table.update_item(
            Key={"video_id": video_id},
            UpdateExpression=expr,
            ConditionExpression=Attr("status").eq(PROCESSING),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=placeholders,
            ReturnValues="ALL_NEW",
        )
        return from_dynamo(response["Attributes"])

    def claim_alert(self, video_id: str) -> bool:
        """Set the alert flag once; only the caller that set it may publish."""
        try:
            self.table.update_item(
                Key={"video_id": video_id},
                UpdateExpression="SET alert_claimed_at = :now",
                ConditionExpression=Attr("alert_claimed_at").not_exists(),
                ExpressionAttributeValues={":now": iso(self.clock())},
            )
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    def release_alert(self, video_id: str) -> None:
        """Undo a claim whose publish failed, so a retry may publish."""
        self.table.update_item(Key={"video_id": video_id}, UpdateExpression="REMOVE alert_claimed_at",
                               ConditionExpression=Attr("alert_message_id").not_exists())

    def record_alert(self, video_id: str, message_id: str) -> None:
        self.table.update_item(
            Key={"video_id": video_id},
            UpdateExpression="SET alert_message_id = :m, alert_sent_at = :now",
            ExpressionAttributeValues={":m": message_id, ":now": iso(self.clock())},
        )

    def by_camera(self, camera_id: str, *, since: datetime | None = None, until: datetime | None = None,
                  newest_first: bool = True) -> Iterator[dict]:
        cond = Key(VIDEOS_BY_CAMERA_PARTITION_KEY).eq(camera_id)
        if since and until:
            cond &= Key(VIDEOS_BY_CAMERA_SORT_KEY).between(iso(since), iso(until))
        elif since:
            cond &= Key(VIDEOS_BY_CAMERA_SORT_KEY).gte(iso(since))
        elif until:
            cond &= Key(VIDEOS_BY_CAMERA_SORT_KEY).lt(iso(until))
        yield from _pages(self.table.query, IndexName=VIDEOS_BY_CAMERA_INDEX, KeyConditionExpression=cond,
                          ScanIndexForward=not newest_first)

    def all(self) -> Iterator[dict]:
        """Every record (the local run and load run read a small emulator table whole)."""
        yield from _pages(self.table.scan, ConsistentRead=True)

    def with_status(self, status: str) -> Iterator[dict]:
        """Scan for records in a status (redrive and operations; the table is small per day)."""
        yield from _pages(self.table.scan, FilterExpression=Attr("status").eq(status))


def _pages(operation, **kwargs) -> Iterator[dict]:
    """Every item of a query or scan, page after page."""
    while True:
        page = operation(**kwargs)
        for item in page.get("Items", []):
            yield from_dynamo(item)
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
