"""The cameras table: per-camera rule, the cursor of the next window to cut, and the camera's worker lease."""
from __future__ import annotations

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


class CameraStore:
    """Adapter over the cameras table. Cameras named at deploy time get a default item on first use."""

    def __init__(self, table: Any, *, known_cameras: tuple[str, ...] = ()):
        self.table = table
        self.known_cameras = tuple(known_cameras)

    @staticmethod
    def _config(item: dict[str, Any]) -> CameraConfig:
        item = from_dynamo(item)
        cursor = item.get("cursor")
        return CameraConfig(camera_id=item["camera_id"], rule=Rule.from_item(item.get("rule")),
                            enabled=bool(item.get("enabled", True)),
                            cursor=parse_iso(cursor) if cursor else None, item=item)

    def get(self, camera_id: str) -> CameraConfig | None:
        """The camera's config; None for a camera that is neither in the table nor known at deploy."""
        item = self.table.get_item(Key={"camera_id": camera_id}, ConsistentRead=True).get("Item")
        if item:
            return self._config(item)
        if camera_id in self.known_cameras and is_valid_camera_id(camera_id):
            return self.register(camera_id)
        return None

    def register(self, camera_id: str, rule: Rule | None = None) -> CameraConfig:
        """Create the camera's item with the default rule unless it exists (safe to call twice). UnknownCamera for
        an id the camera-id rule refuses (the stack refuses it too: it could have no stream)."""
        if not is_valid_camera_id(camera_id):
            raise UnknownCamera(f"{camera_id!r} is not a valid camera id ({CAMERA_ID_RULE})")
        item = {"camera_id": camera_id, "rule": (rule or Rule()).to_item(), "enabled": True}
        try:
            self.table.put_item(Item=to_dynamo(item), ConditionExpression=Attr("camera_id").not_exists())
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return self._config(self.table.get_item(Key={"camera_id": camera_id}, ConsistentRead=True)["Item"])

    def all_cameras(self) -> list[CameraConfig]:
        """Every camera in the table plus the deploy-time ones (registered on the way)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.table.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        configs = {c.camera_id: c for c in map(self._config, items)}
        for camera_id in self.known_cameras:
            if camera_id not in configs:
                configs[camera_id] = self.register(camera_id)
        return sorted(configs.values(), key=lambda c: c.camera_id)

    def camera_ids(self) -> list[str]:
        """The id of every camera in the table plus the deploy-time ones (the tick needs nothing else: the keys-only
        scan moves a fraction of the bytes of all_cameras)."""
        ids: set[str] = {c for c in self.known_cameras if is_valid_camera_id(c)}
        kwargs: dict[str, Any] = {"ProjectionExpression": "camera_id"}
        while True:
            page = self.table.scan(**kwargs)
            ids.update(str(item["camera_id"]) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(ids)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def advance_cursor(self, camera_id: str, expected: datetime | None, new: datetime) -> bool:
        """Move the cursor forward only if nobody else moved it (two overlapping runs never skip a minute)."""
        condition = Attr("cursor").not_exists() if expected is None else Attr("cursor").eq(iso(expected))
        try:
            self.table.update_item(Key={"camera_id": camera_id}, UpdateExpression="SET #c = :new",
                                   ConditionExpression=condition, ExpressionAttributeNames={"#c": "cursor"},
                                   ExpressionAttributeValues={":new": iso(new)})
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def lease(self, camera_id: str, holder: str, now: datetime, hold_for: timedelta) -> CameraConfig | None:
        """Take the camera's worker lease until now + hold_for, unless another holder's lease is still running: the
        guard that keeps a second worker off a camera even if the queue ever delivered its jobs to two at once.
        Returns the camera as the write left it (its cursor as the previous holder left it), None if it is held.
        Only an existing camera item can be leased (a condition, so no item is created here)."""
        condition = Attr("camera_id").exists() & (
            Attr("worker_lease_until").not_exists() | Attr("worker_lease_until").lt(iso(now))
            | Attr("worker_lease_holder").eq(holder))
        try:
            answer = self.table.update_item(
                Key={"camera_id": camera_id}, UpdateExpression="SET worker_lease_until = :u, worker_lease_holder = :h",
                ConditionExpression=condition, ReturnValues="ALL_NEW",
                ExpressionAttributeValues={":u": iso(now + hold_for), ":h": holder})
            return self._config(answer["Attributes"])
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
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
