"""The videos table: one item per clip, every state change a conditional write, all of them here.

Leases: a claim moves a record to PROCESSING until `lease_until` and takes the next attempt number, which is the
lease's token: a result is written only by the run whose claim is still the latest (finish_* condition on it), and
once the lease has expired another run may claim the record again. While a record is open (RECEIVED, PROCESSING,
or DONE with its alert not yet sent) it carries `due_at`, the time recovery should look at it, and so sits in the
sparse `due_by_camera` index that the scheduled run reads.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError

from videoalert.domain.errors import LeaseLost
from videoalert.domain.ids import iso
from videoalert.domain.records import Decided, VideoRecord
from videoalert.domain.types import Decision, Label, Status
from videoalert.store.dynamo_values import from_dynamo, to_dynamo
from videoalert_contract.defaults import LEASE_S
from videoalert_contract.names import (
    VIDEOS_BY_CAMERA_INDEX,
    VIDEOS_BY_CAMERA_PARTITION_KEY,
    VIDEOS_BY_CAMERA_SORT_KEY,
    VIDEOS_DUE_INDEX,
    VIDEOS_DUE_PARTITION_KEY,
    VIDEOS_DUE_SORT_KEY,
)

# How long a claim holds a clip: longer than one run of the function that took it can last (its timeout), so a lease
# expires only when the run that took it has ended.
DEFAULT_LEASE = timedelta(seconds=LEASE_S)
# How long a claim on publishing an alert holds: far longer than an SNS publish with the SDK's retries takes. A run
# that dies holding it leaves the alert to recovery once it has expired.
ALERT_CLAIM = timedelta(minutes=2)
MAX_LABEL_HISTORY = 20  # label changes a record remembers (the latest)


def _conditional_failed(err: ClientError) -> bool:
    return bool(err.response["Error"]["Code"] == "ConditionalCheckFailedException")


def now_utc() -> datetime:
    return datetime.now(UTC)


class VideoRecords:
    """Adapter over the videos table (a boto3 Table resource is injected)."""

    def __init__(self, table: Any, *, clock: Callable[[], datetime] = now_utc, lease: timedelta = DEFAULT_LEASE):
        self.table = table
        self.clock = clock
        self.lease = lease

    def create(self, record: VideoRecord, *, retain_for: timedelta, due_in: timedelta | None = None) -> bool:
        """Put a new record that expires retain_for from now; False when one with this video_id exists already
        (first writer wins). A RECEIVED record is due for recovery one lease from now, in case the run that
        created it dies before claiming it, or due_in from now (work left for the scheduled runs)."""
        now = self.clock()
        item = {**record.to_item(), "created_at": iso(now), "updated_at": iso(now),
                "expires_at": int((now + retain_for).timestamp())}
        if record.status == Status.RECEIVED:
            item["due_at"] = iso(now + (self.lease if due_in is None else due_in))
        try:
            self.table.put_item(Item=to_dynamo(item), ConditionExpression=Attr("video_id").not_exists())
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    def get(self, video_id: str) -> VideoRecord | None:
        item = self.table.get_item(Key={"video_id": video_id}, ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def claim(self, video_id: str, *, allow_from: tuple[Status, ...] = (Status.RECEIVED,)) -> VideoRecord | None:
        """Move a record to PROCESSING, with a new lease, if it is in one of allow_from or its lease has expired.

        Returns the claimed record (the update's own answer: no second read); its `attempts` is the lease token
        the finish_* calls must give. None if the record is not claimable (finished, or another run holds it).
        """
        now = self.clock()
        until = iso(now + self.lease)
        condition = Attr("video_id").exists() & (Attr("status").is_in([str(s) for s in allow_from])
                                                 | self._lease_expired(now))
        return self._update_if(
            video_id,
            UpdateExpression="SET #s = :p, updated_at = :now, lease_until = :until, due_at = :until ADD attempts :one",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":p": Status.PROCESSING.value, ":now": iso(now), ":until": until, ":one": 1})

    def _update_if(self, video_id: str, **request: Any) -> VideoRecord | None:
        """One conditional update_item; the record as it now is, or None when the condition does not hold."""
        try:
            response = self.table.update_item(Key={"video_id": video_id}, ReturnValues="ALL_NEW", **request)
        except ClientError as err:
            if _conditional_failed(err):
                return None
            raise
        return _record(response["Attributes"])

    def lease_expired(self, record: VideoRecord) -> bool:
        """True when a PROCESSING record's claim no longer holds (by this store's clock)."""
        now = self.clock()
        if record.status != Status.PROCESSING:
            return False
        if record.lease_until is not None:
            return record.lease_until < iso(now)
        return (record.updated_at or "") < iso(now - self.lease)  # claimed before leases were recorded

    def _lease_expired(self, now: datetime) -> ConditionBase:
        processing = Attr("status").eq(Status.PROCESSING.value)
        expired = Attr("lease_until").lt(iso(now))
        # Claimed before leases were recorded: the claim's time plus one lease.
        legacy = Attr("lease_until").not_exists() & Attr("updated_at").lt(iso(now - self.lease))
        return processing & (expired | legacy)

    def expire_lease(self, video_id: str, *, attempt: int, reason: str, detail: str) -> bool:
        """End a record whose lease expired after its last allowed attempt: FAILED, out of recovery's way.
        False if it is no longer that expired claim (someone finished or took it over meanwhile)."""
        now = self.clock()
        try:
            self.table.update_item(
                Key={"video_id": video_id},
                UpdateExpression="SET #s = :f, reason = :r, reason_detail = :d, updated_at = :now "
                                 "REMOVE due_at, lease_until",
                ConditionExpression=self._lease_expired(now) & Attr("attempts").eq(attempt),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":f": Status.FAILED.value, ":r": reason, ":d": detail, ":now": iso(now)},
            )
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    def due(self, camera_id: str, *, limit: int) -> list[str]:
        """Ids of the camera's open records whose due time has passed, the longest overdue first."""
        response = self.table.query(
            IndexName=VIDEOS_DUE_INDEX,
            KeyConditionExpression=Key(VIDEOS_DUE_PARTITION_KEY).eq(camera_id)
            & Key(VIDEOS_DUE_SORT_KEY).lte(iso(self.clock())),
            Limit=limit,
        )
        return [str(item["video_id"]) for item in response.get("Items", [])]

    def finish_done(self, video_id: str, decided: Decided, *, attempt: int | None,
                    alert_sent: bool = False, clip: Mapping[str, Any] | None = None) -> VideoRecord:
        """Record a decision on the record this run holds (attempt: its claim's number); returns it as stored.

        An ALERT stays open (due for recovery after one alert claim) until its alert is marked sent: the outbox.
        alert_sent: the alert went out already (an early alert of a segment-scored minute): nothing left due.
        clip: the stored clip's attributes, for a minute whose clip is stored as it completes (s3_key, more_keys...).
        """
        due = iso(self.clock() + ALERT_CLAIM) if decided.decision == Decision.ALERT and not alert_sent else None
        return self._finish(video_id, Status.DONE, decided.fields() | dict(clip or {}) | {"due_at": due}, attempt)

    def finish_failed(self, video_id: str, reason: str, detail: str, *, attempt: int | None,
                      clip: Mapping[str, Any] | None = None) -> VideoRecord:
        """Record a failure that a redrive may retry (inference error or timeout); clip: as for finish_done."""
        return self._finish(video_id, Status.FAILED, dict(clip or {}) | {"reason": reason, "reason_detail": detail,
                                                                        "due_at": None}, attempt)

    def finish_rejected(self, video_id: str, reason: str, detail: str, *, attempt: int | None) -> VideoRecord:
        """Record bad input: final, never retried."""
        return self._finish(video_id, Status.REJECTED, {"reason": reason, "reason_detail": detail, "due_at": None},
                            attempt)

    def _finish(self, video_id: str, status: Status, fields: dict[str, Any], attempt: int | None) -> VideoRecord:
        """Set fields (None removes one) and the status, only while the record is PROCESSING under this run's claim
        (attempt); the lease ends. LeaseLost if another run has taken the record over, or finished it."""
        fields = fields | {"lease_until": None}
        values = to_dynamo({k: v for k, v in fields.items() if v is not None}
                           | {"status": status.value, "updated_at": iso(self.clock())})
        expr, names, placeholders = _set_clause(values)
        removes = [k for k, v in fields.items() if v is None]
        expr += f" REMOVE {', '.join('#d' + str(i) for i in range(len(removes)))}" if removes else ""
        names.update({f"#d{i}": k for i, k in enumerate(removes)})
        condition = Attr("status").eq(Status.PROCESSING.value)
        if attempt is not None:
            condition &= Attr("attempts").eq(attempt)
        record = self._update_if(video_id, UpdateExpression=expr, ConditionExpression=condition,
                                 ExpressionAttributeNames=names, ExpressionAttributeValues=placeholders)
        if record is None:
            raise LeaseLost(f"video {video_id}: claim {attempt} no longer holds it; its result is not written")
        return record

    # Segment scoring (app.segments): an OPEN stream minute gathers its segments' frames as they are scored, may take
    # an early decision (ALERT only: the outbox below then sends it), and is claimed from OPEN when the minute settles.

    def add_segment(self, video_id: str, *, fragments: list[int], frames: list[dict[str, Any]],
                    fields: dict[str, Any]) -> VideoRecord | None:
        """Append one segment's frame scores and the fragments it covered (producer timestamps, ms) to an OPEN minute,
        and set `fields` (the top embeddings kept, the model); only if the minute is still OPEN and its first fragment
        is not covered yet, so a segment is counted once even if two runs scored it. None when that condition fails."""
        values = to_dynamo({k: v for k, v in fields.items() if v is not None}
                           | {"updated_at": iso(self.clock())})
        sets, names, placeholders = _set_clause(values)
        placeholders |= to_dynamo({":frames": frames, ":fragments": fragments, ":empty": [], ":open": Status.OPEN.value,
                                   ":first": fragments[0]})
        return self._update_if(
            video_id,
            UpdateExpression=f"{sets}, frame_scores = list_append(if_not_exists(frame_scores, :empty), :frames), "
                             "segment_fragments = list_append(if_not_exists(segment_fragments, :empty), :fragments)",
            ConditionExpression="#s = :open AND NOT contains(segment_fragments, :first)",
            ExpressionAttributeNames=names | {"#s": "status"}, ExpressionAttributeValues=placeholders)

    def decide_early(self, video_id: str, decided: Decided) -> VideoRecord | None:
        """Write an early ALERT on an OPEN minute that has no decision yet (one decision per minute: a second early
        decision, or one racing the minute's completion, finds the condition false: None). It is due for recovery
        after one alert claim, as any ALERT, until its alert is marked sent."""
        now = self.clock()
        values = to_dynamo({k: v for k, v in decided.fields().items() if v is not None}
                           | {"early_alert_at": iso(now), "updated_at": iso(now), "due_at": iso(now + ALERT_CLAIM)})
        sets, names, placeholders = _set_clause(values)
        return self._update_if(video_id, UpdateExpression=sets,
                               ConditionExpression="#s = :open AND attribute_not_exists(decision)",
                               ExpressionAttributeNames=names | {"#s": "status"},
                               ExpressionAttributeValues=placeholders | {":open": Status.OPEN.value})

    # The alert outbox: claim (for ALERT_CLAIM), publish, mark sent. A run that dies between claim and mark leaves
    # the record due; recovery claims it again once the claim has expired and publishes (at least once).

    def claim_alert(self, video_id: str) -> bool:
        """Take the right to publish the alert of a DONE ALERT record (or an OPEN minute's early ALERT) not yet marked
        sent, unless another run holds a claim that has not expired; only the caller that took it may publish."""
        now = self.clock()
        unclaimed = Attr("alert_claimed_at").not_exists() | Attr("alert_claimed_at").lt(iso(now - ALERT_CLAIM))
        try:
            self.table.update_item(
                Key={"video_id": video_id},
                UpdateExpression="SET alert_claimed_at = :now, due_at = :due",
                ConditionExpression=Attr("status").is_in([Status.DONE.value, Status.OPEN.value])
                & Attr("decision").eq(Decision.ALERT.value)
                & Attr("alert_message_id").not_exists() & unclaimed,
                ExpressionAttributeValues={":now": iso(now), ":due": iso(now + ALERT_CLAIM)},
            )
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    def release_alert(self, video_id: str) -> None:
        """Undo a claim whose publish failed, so a retry (or recovery, at once) may publish."""
        self.table.update_item(Key={"video_id": video_id}, UpdateExpression="REMOVE alert_claimed_at SET due_at = :now",
                               ConditionExpression=Attr("alert_message_id").not_exists(),
                               ExpressionAttributeValues={":now": iso(self.clock())})

    def record_alert(self, video_id: str, message_id: str) -> bool:
        """Mark the alert sent: the record leaves recovery. False if another publisher marked it first (its message
        id stays; SNS delivered both, under the same dedup key)."""
        try:
            self.table.update_item(
                Key={"video_id": video_id},
                UpdateExpression="SET alert_message_id = :m, alert_sent_at = :now REMOVE due_at",
                ConditionExpression=Attr("alert_message_id").not_exists(),
                ExpressionAttributeValues={":m": message_id, ":now": iso(self.clock())},
            )
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    # Deliveries beyond SNS (app.deliveries): delivered_<channel> holds when each channel took the alert.

    def delivered(self, video_id: str) -> set[str]:
        item = self.table.get_item(Key={"video_id": video_id}, ConsistentRead=True).get("Item") or {}
        return {k.removeprefix("delivered_") for k in item if k.startswith("delivered_")}

    def mark_delivered(self, video_id: str, channel: str, now: datetime) -> bool:
        """Mark one channel delivered; False if it was marked already (another run delivered it too)."""
        try:
            self.table.update_item(Key={"video_id": video_id}, UpdateExpression="SET #c = :now",
                                   ConditionExpression=Attr("video_id").exists() & Attr(f"delivered_{channel}")
                                   .not_exists(),
                                   ExpressionAttributeNames={"#c": f"delivered_{channel}"},
                                   ExpressionAttributeValues={":now": iso(now)})
            return True
        except ClientError as err:
            if _conditional_failed(err):
                return False
            raise

    def write_label(self, video_id: str, label: Label, tags: tuple[str, ...], *, who: str, now: datetime) -> None:
        """Label a DONE record: the label, its tags, who and when, appended to the label history, of which the
        latest MAX_LABEL_HISTORY entries are kept (an item may not outgrow DynamoDB's 400 KB)."""
        entry = {"label": label.value, "tags": list(tags), "by": who, "at": iso(now)}
        response = self.table.update_item(
            Key={"video_id": video_id},
            UpdateExpression="SET #l = :l, label_tags = :tags, labelled_by = :by, labelled_at = :at, "
                             "label_history = list_append(if_not_exists(label_history, :empty), :entry)",
            # DONE, or an OPEN minute that alerted early (domain.records.VideoRecord.labellable)
            ConditionExpression=Attr("status").is_in([Status.DONE.value, Status.OPEN.value])
            & Attr("decision").exists(),
            ExpressionAttributeNames={"#l": "label"},
            ExpressionAttributeValues=to_dynamo({":l": label.value, ":tags": list(tags), ":by": who,
                                                 ":at": iso(now), ":empty": [], ":entry": [entry]}),
            ReturnValues="UPDATED_NEW",
        )
        length = len(response.get("Attributes", {}).get("label_history", []))
        if length <= MAX_LABEL_HISTORY:
            return
        # Drop the oldest entries, only if nobody appended meanwhile (that writer trims after itself).
        oldest = ", ".join(f"label_history[{i}]" for i in range(length - MAX_LABEL_HISTORY))
        try:
            self.table.update_item(Key={"video_id": video_id}, UpdateExpression=f"REMOVE {oldest}",
                                   ConditionExpression=Attr("label_history").size().eq(length))
        except ClientError as err:
            if not _conditional_failed(err):
                raise

    def clear_label(self, video_id: str, *, who: str, now: datetime) -> None:
        """Take a DONE record's label away (an undo); the history keeps that it was cleared, by whom and when."""
        entry: dict[str, Any] = {"cleared": True, "tags": [], "by": who, "at": iso(now)}
        self.table.update_item(
            Key={"video_id": video_id},
            UpdateExpression="REMOVE #l, label_tags, labelled_by, labelled_at "
                             "SET label_history = list_append(if_not_exists(label_history, :empty), :entry)",
            # DONE, or an OPEN minute that alerted early (domain.records.VideoRecord.labellable)
            ConditionExpression=Attr("status").is_in([Status.DONE.value, Status.OPEN.value])
            & Attr("decision").exists(),
            ExpressionAttributeNames={"#l": "label"},
            ExpressionAttributeValues=to_dynamo({":empty": [], ":entry": [entry]}),
        )

    def by_camera(self, camera_id: str, *, since: datetime | None = None, until: datetime | None = None,
                  newest_first: bool = True) -> Iterator[VideoRecord]:
        cond = Key(VIDEOS_BY_CAMERA_PARTITION_KEY).eq(camera_id)
        if since and until:
            cond &= Key(VIDEOS_BY_CAMERA_SORT_KEY).between(iso(since), iso(until))
        elif since:
            cond &= Key(VIDEOS_BY_CAMERA_SORT_KEY).gte(iso(since))
        elif until:
            cond &= Key(VIDEOS_BY_CAMERA_SORT_KEY).lt(iso(until))
        yield from _pages(self.table.query, IndexName=VIDEOS_BY_CAMERA_INDEX, KeyConditionExpression=cond,
                          ScanIndexForward=not newest_first)

    def latest(self, camera_id: str) -> VideoRecord | None:
        """The camera's newest record by window start (one item read: the fleet health check asks every camera)."""
        response = self.table.query(IndexName=VIDEOS_BY_CAMERA_INDEX, Limit=1, ScanIndexForward=False,
                                    KeyConditionExpression=Key(VIDEOS_BY_CAMERA_PARTITION_KEY).eq(camera_id))
        items = response.get("Items", [])
        return _record(items[0]) if items else None

    def all(self) -> Iterator[VideoRecord]:
        """Every record (the local run and load run read a small emulator table whole)."""
        yield from _pages(self.table.scan, ConsistentRead=True)

    def with_status(self, status: Status) -> Iterator[VideoRecord]:
        """Scan for records in a status (redrive and operations; the table is small per day)."""
        yield from _pages(self.table.scan, FilterExpression=Attr("status").eq(status.value))

    def labelled(self) -> Iterator[VideoRecord]:
        """Scan for labelled records (the retraining export)."""
        yield from _pages(self.table.scan, FilterExpression=Attr("label").exists())


def _set_clause(values: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """'SET #a0 = :a0, ...' for these attribute values, with its attribute names and value placeholders."""
    names = {f"#a{i}": k for i, k in enumerate(values)}
    placeholders = {f":a{i}": v for i, v in enumerate(values.values())}
    return "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(values))), names, placeholders


def _record(item: dict[str, Any]) -> VideoRecord:
    return VideoRecord.from_item(from_dynamo(item))


def _pages(operation: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[VideoRecord]:
    """Every item of a query or scan, page after page."""
    while True:
        page = operation(**kwargs)
        for item in page.get("Items", []):
            yield _record(item)
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
