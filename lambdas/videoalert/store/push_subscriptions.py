"""Browsers' Web Push subscriptions in DynamoDB: one item per (scope, subscription), scope a camera id or "*" (every
camera), bounded per scope (the oldest goes when a new browser subscribes to a full scope)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from videoalert.domain.ids import iso
from videoalert.domain.push import Subscription
from videoalert_contract.names import PUSH_PARTITION_KEY, PUSH_SORT_KEY

logger = logging.getLogger(__name__)
MAX_PER_SCOPE = 20  # phones and browsers per camera (or per every-camera scope)


class PushSubscriptions:
    def __init__(self, table: Any, *, max_per_scope: int = MAX_PER_SCOPE):
        self.table, self.max_per_scope = table, max_per_scope

    def _items(self, scope: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key(PUSH_PARTITION_KEY).eq(scope), "ConsistentRead": True}
        while True:
            page = self.table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add(self, scope: str, subscription: Subscription, now: datetime) -> int:
        """Store (or refresh) a browser's subscription for the scope; how many older ones made room (0 or more)."""
        sub_id = subscription.subscription_id
        others = sorted((i for i in self._items(scope) if i[PUSH_SORT_KEY] != sub_id),
                        key=lambda i: str(i.get("created_at", "")))
        evicted = others[:max(0, len(others) - self.max_per_scope + 1)]
        for item in evicted:
            self.remove(scope, str(item[PUSH_SORT_KEY]))
        if evicted:
            logger.info("push subscriptions evicted to make room", extra={"scope": scope, "evicted": len(evicted)})
        self.table.put_item(Item={PUSH_PARTITION_KEY: scope, PUSH_SORT_KEY: sub_id, "endpoint": subscription.endpoint,
                                  "p256dh": subscription.p256dh, "auth": subscription.auth, "created_at": iso(now)})
        return len(evicted)

    def remove(self, scope: str, subscription_id: str) -> None:
        self.table.delete_item(Key={PUSH_PARTITION_KEY: scope, PUSH_SORT_KEY: subscription_id})

    def for_scope(self, scope: str) -> list[tuple[str, Subscription]]:
        return [(scope, Subscription(endpoint=str(i["endpoint"]), p256dh=str(i["p256dh"]), auth=str(i["auth"])))
                for i in self._items(scope)]

    def for_camera(self, camera_id: str, every: str = "*") -> list[tuple[str, Subscription]]:
        """The subscriptions an alert of this camera goes to: the camera's and every camera's, each endpoint once."""
        seen: set[str] = set()
        out = []
        for scope, sub in self.for_scope(camera_id) + self.for_scope(every):
            if sub.subscription_id not in seen:
                seen.add(sub.subscription_id)
                out.append((scope, sub))
        return out
