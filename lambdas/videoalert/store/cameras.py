"""The cameras table, which is the camera registry: each registered camera's stream, its rule, the cursor of the next
window to cut, and the camera's worker lease."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from videoalert.domain.camera import CameraConfig
from videoalert.domain.errors import RuleConflict, UnknownCamera
from videoalert.domain.ids import iso, parse_iso
from videoalert.domain.rule import Rule
from videoalert.store.dynamo_values import from_dynamo, to_dynamo
from videoalert_contract.names import CAMERA_ID_RULE, is_valid_camera_id

# Items per page of the tick's keys-only scan. DynamoDB stops a page at 1 MB of items read (before projection), about
# 1,000 camera items of ~1 KB; asking for 1,000 keeps the page count the same in AWS and on the emulator.
SCAN_PAGE_ITEMS = 1000


class CameraStore:
    """Adapter over the cameras table (the registry): a camera exists for the pipeline only once it has an item."""

    def __init__(self, table: Any):
        self.table = table

    @staticmethod
    def _config(item: dict[str, Any]) -> CameraConfig:
        item = from_dynamo(item)
        cursor, registered = item.get("cursor"), item.get("registered_at")
        retention = item.get("retention_hours")
        return CameraConfig(camera_id=item["camera_id"], rule=Rule.from_item(item.get("rule")),
                            enabled=bool(item.get("enabled", True)),
                            cursor=parse_iso(cursor) if cursor else None, item=item,
                            registered_at=parse_iso(registered) if registered else None,
                            stream_arn=item.get("stream_arn") or None,
                            retention_hours=int(retention) if retention is not None else None,
                            motion_triggered=bool(item.get("motion_triggered", False)),
                            scoring_stream=item.get("scoring_stream") or None)

    def get(self, camera_id: str) -> CameraConfig | None:
        """The camera's config; None for a camera that is not registered."""
        item = self.table.get_item(Key={"camera_id": camera_id}, ConsistentRead=True).get("Item")
        return self._config(item) if item else None

    def add(self, camera_id: str, rule: Rule | None = None, *,
            registration: Mapping[str, Any] | None = None) -> bool:
        """Write the camera's item unless it exists (a conditional put): True if this call registered it. UnknownCamera
        for an id the camera-id rule refuses (it could have no stream). registration: the attributes the registry
        records beside the rule (registered_at, stream_arn, retention_hours, motion_triggered)."""
        if not is_valid_camera_id(camera_id):
            raise UnknownCamera(f"{camera_id!r} is not a valid camera id ({CAMERA_ID_RULE})")
        item = {**dict(registration or {}), "camera_id": camera_id, "rule": (rule or Rule()).to_item(),
                "enabled": True}
        try:
            self.table.put_item(Item=to_dynamo(item), ConditionExpression=Attr("camera_id").not_exists())
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def register(self, camera_id: str, rule: Rule | None = None) -> CameraConfig:
        """Create the camera's item with the default rule unless it exists (safe to call twice); the camera as stored.
        Tests and the emulator's seed use it; `videoalert camera add` goes through app.cameras (the stream too)."""
        self.add(camera_id, rule)
        return self._config(self.table.get_item(Key={"camera_id": camera_id}, ConsistentRead=True)["Item"])

    def set_stream(self, camera_id: str, stream_arn: str) -> None:
        """Record the camera's stream (an item registered before its stream existed: the deploy-time seed, an item
        from before the registry)."""
        self.table.update_item(Key={"camera_id": camera_id}, UpdateExpression="SET stream_arn = :a",
                               ConditionExpression=Attr("camera_id").exists(),
                               ExpressionAttributeValues={":a": stream_arn})

    def set_scoring_stream(self, camera_id: str, stream: str | None) -> None:
        """Record the stream the worker scores for this camera (its sub-stream), or forget it (None: the main stream
        is scored again); on a registered camera only (UnknownCamera otherwise)."""
        update = ("SET scoring_stream = :s", {":s": stream}) if stream else ("REMOVE scoring_stream", None)
        kwargs: dict[str, Any] = {"ExpressionAttributeValues": update[1]} if update[1] else {}
        try:
            self.table.update_item(Key={"camera_id": camera_id}, UpdateExpression=update[0],
                                   ConditionExpression=Attr("camera_id").exists(), **kwargs)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise UnknownCamera(f"camera {camera_id} is not registered") from err
            raise

    def remove(self, camera_id: str) -> CameraConfig | None:
        """Delete the camera's item (the registry forgets it: no more ticks, uploads rejected); the item it was, None if
        it was not registered. Records, clips and the false-positive memory stay."""
        answer = self.table.delete_item(Key={"camera_id": camera_id}, ReturnValues="ALL_OLD")
        old = answer.get("Attributes")
        return self._config(old) if old else None

    def all_cameras(self) -> list[CameraConfig]:
        """Every registered camera (a paged scan)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Limit": SCAN_PAGE_ITEMS}
        while True:
            page = self.table.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(map(self._config, items), key=lambda c: c.camera_id)

    def camera_id_pages(self) -> Iterator[list[str]]:
        """The registered cameras' ids, a scan page at a time (keys only: a fraction of the bytes of all_cameras),
        so the tick sends a page's jobs while the next page is read, holding one page in memory."""
        kwargs: dict[str, Any] = {"ProjectionExpression": "camera_id", "Limit": SCAN_PAGE_ITEMS}
        while True:
            page = self.table.scan(**kwargs)
            yield [str(item["camera_id"]) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def camera_ids(self) -> list[str]:
        """The id of every registered camera, sorted."""
        return sorted(c for page in self.camera_id_pages() for c in page)

    def advance_cursor(self, camera_id: str, expected: datetime | None, new: datetime) -> bool:
        """Move the cursor forward only if nobody else moved it (two overlapping runs never skip a minute), and only on
        a registered camera (an UpdateItem would otherwise bring back a camera removed meanwhile, as a bare item)."""
        condition = Attr("camera_id").exists() & (
            Attr("cursor").not_exists() if expected is None else Attr("cursor").eq(iso(expected)))
        try:
            self.table.update_item(Key={"camera_id": camera_id}, UpdateExpression="SET #c = :new",
                                   ConditionExpression=condition, ExpressionAttributeNames={"#c": "cursor"},
                                   ExpressionAttributeValues={":new": iso(new)})
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def lease(self, camera_id: str, holder: str, now: datetime, hold_for: timedelta, *,
              turn: int | None = None) -> CameraConfig | None:
        """Take the camera's worker lease until now + hold_for, unless another holder's lease is still running: the
        guard that keeps a second worker off a camera even if the queue ever delivered its jobs to two at once.
        Returns the camera as the write left it (its cursor as the previous holder left it), None if it is held.
        Only an existing camera item can be leased (a condition, so no item is created here).
        turn: a segment job's chain turn: the lease is taken only if it is the camera's current turn, which moves on to
        turn + 1 (and chain_at to now) in the same write, so a copy of the job (a redelivery, a forked chain) finds
        the turn gone and is dropped."""
        condition = Attr("camera_id").exists() & (
            Attr("worker_lease_until").not_exists() | Attr("worker_lease_until").lt(iso(now))
            | Attr("worker_lease_holder").eq(holder))
        update = "SET worker_lease_until = :u, worker_lease_holder = :h"
        values: dict[str, Any] = {":u": iso(now + hold_for), ":h": holder}
        if turn is not None:
            condition &= Attr("chain_turn").eq(turn)
            update += ", chain_turn = :next, chain_at = :now"
            values |= {":next": turn + 1, ":now": iso(now)}
        try:
            answer = self.table.update_item(
                Key={"camera_id": camera_id}, UpdateExpression=update,
                ConditionExpression=condition, ReturnValues="ALL_NEW", ExpressionAttributeValues=values)
            return self._config(answer["Attributes"])
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise

    def start_chain(self, camera_id: str, expected: int | None, turn: int, now: datetime) -> bool:
        """Start the camera's segment chain afresh at `turn` (the tick found it silent), only if its turn is still
        `expected` (None: never started): the old chain's jobs, if any are still queued, then carry a stale turn."""
        condition = Attr("camera_id").exists() & (
            Attr("chain_turn").not_exists() if expected is None else Attr("chain_turn").eq(expected))
        try:
            self.table.update_item(Key={"camera_id": camera_id},
                                   UpdateExpression="SET chain_turn = :t, chain_at = :now",
                                   ConditionExpression=condition,
                                   ExpressionAttributeValues={":t": turn, ":now": iso(now)})
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def release(self, camera_id: str, holder: str) -> None:
        """Give the lease back (only this holder's: a lease another worker took after ours expired stays)."""
        try:
            self.table.update_item(Key={"camera_id": camera_id},
                                   UpdateExpression="REMOVE worker_lease_until, worker_lease_holder",
                                   ConditionExpression=Attr("worker_lease_holder").eq(holder))
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def put_rule(self, camera_id: str, rule: Rule) -> None:
        """Overwrite the rule as given (setup and tests); edits go through update_rule."""
        self.table.update_item(Key={"camera_id": camera_id}, UpdateExpression="SET #r = :r",
                               ExpressionAttributeNames={"#r": "rule"},
                               ExpressionAttributeValues={":r": to_dynamo(rule.to_item())})

    def update_rule(self, camera_id: str, expected_version: int, **changes: Any) -> Rule:
        """Change rule fields and bump the version, only if the stored version is still expected_version.

        Two concurrent edits read the same version; the second write fails with RuleConflict instead of
        silently overwriting the first. Takes effect on the next clip: no redeploy.
        """
        camera = self.get(camera_id)
        if camera is None:
            raise UnknownCamera(camera_id)
        new_rule = replace(camera.rule.with_changes(**changes), version=expected_version + 1)
        stored = camera.item.get("rule")
        condition = (Attr("rule").not_exists() if stored is None and expected_version == 1
                     else Attr("rule.version").eq(expected_version))
        try:
            self.table.update_item(Key={"camera_id": camera_id}, UpdateExpression="SET #r = :r",
                                   ConditionExpression=Attr("camera_id").exists() & condition,
                                   ExpressionAttributeNames={"#r": "rule"},
                                   ExpressionAttributeValues={":r": to_dynamo(new_rule.to_item())})
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise RuleConflict(f"camera {camera_id}: the rule is no longer version {expected_version} "
                                   f"(someone changed it); read it again and retry") from err
            raise
        return new_rule
