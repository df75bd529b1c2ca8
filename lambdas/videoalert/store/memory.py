"""The false-positive memory table: per camera, the embeddings of frames users marked as not a person (bounded,
oldest out), and, as counter-examples, frames they confirmed as people. Matching is domain.memory's."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from videoalert.domain.embeddings import FrameEmbedding, decode, encode
from videoalert.domain.ids import iso
from videoalert.domain.memory import MemoryEntry
from videoalert.domain.types import Label
from videoalert_contract.names import FP_MEMORY_PARTITION_KEY, FP_MEMORY_SORT_KEY

DEFAULT_CAPACITY = 50  # entries per camera and kind: ~1.4 KB items, one or two query pages to read them all


class FpMemory:
    """Adapter over the false-positive memory table (partition camera_id, sort entry_id)."""

    def __init__(self, table: Any, *, capacity: int = DEFAULT_CAPACITY):
        self.table = table
        self.capacity = capacity

    def entries(self, camera_id: str) -> list[MemoryEntry]:
        """The camera's entries, oldest first."""
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key(FP_MEMORY_PARTITION_KEY).eq(camera_id),
                                  "ConsistentRead": True}
        out = []
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                out.append(MemoryEntry(camera_id=item[FP_MEMORY_PARTITION_KEY], entry_id=item[FP_MEMORY_SORT_KEY],
                                       video_id=item["video_id"], t=float(item.get("t", 0)),
                                       score=float(item.get("score", 0)), region=item.get("region", "full"),
                                       vector=decode(item["embedding_f16"]), added_at=item["added_at"],
                                       kind=Label(item.get("kind", Label.FALSE_POSITIVE))))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add(self, camera_id: str, video_id: str, embeddings: Sequence[FrameEmbedding], now: datetime, *,
            kind: Label = Label.FALSE_POSITIVE) -> list[str]:
        """Remember a video's frames unless they are remembered already; drop the oldest of that kind beyond
        capacity."""
        current = [e for e in self.entries(camera_id) if e.kind == kind]
        if any(e.video_id == video_id for e in current):
            return []
        added_at = iso(now)
        added = []
        with self.table.batch_writer() as batch:
            for i, emb in enumerate(embeddings):
                entry_id = f"{added_at}#{video_id}#{kind}#{i:02d}"
                batch.put_item(Item={FP_MEMORY_PARTITION_KEY: camera_id, FP_MEMORY_SORT_KEY: entry_id,
                                     "video_id": video_id, "t": str(emb.t), "score": str(round(emb.score, 5)),
                                     "region": emb.region, "embedding_f16": encode(emb.vector),
                                     "added_at": added_at, "kind": kind})
                added.append(entry_id)
        overflow = len(current) + len(added) - self.capacity
        if overflow > 0:
            self.remove(camera_id, [e.entry_id for e in current[:overflow]])
        return added

    def remove(self, camera_id: str, entry_ids: Iterable[str]) -> int:
        doomed = list(entry_ids)
        with self.table.batch_writer() as batch:
            for entry_id in doomed:
                batch.delete_item(Key={FP_MEMORY_PARTITION_KEY: camera_id, FP_MEMORY_SORT_KEY: entry_id})
        return len(doomed)
