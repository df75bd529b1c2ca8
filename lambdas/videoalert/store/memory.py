"""The false-positive memory table: per camera, the embeddings of regions users marked as not a person (bounded,
oldest out, expired after domain.memory's max age), and, as counter-examples, regions they confirmed as people.
Matching is domain.memory's."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from videoalert.domain.embeddings import FrameEmbedding, decode, decode_box, encode, encode_box
from videoalert.domain.ids import iso
from videoalert.domain.memory import DEFAULT_MAX_AGE, MemoryEntry, current
from videoalert.domain.types import Label
from videoalert_contract.inference import Region
from videoalert_contract.names import FP_MEMORY_PARTITION_KEY, FP_MEMORY_SORT_KEY

DEFAULT_CAPACITY = 50  # entries per camera and kind: ~1.4 KB items, one or two query pages to read them all


class FpMemory:
    """Adapter over the false-positive memory table (partition camera_id, sort entry_id)."""

    def __init__(self, table: Any, *, capacity: int = DEFAULT_CAPACITY, max_age: timedelta = DEFAULT_MAX_AGE):
        self.table = table
        self.capacity = capacity
        self.max_age = max_age

    def entries(self, camera_id: str) -> list[MemoryEntry]:
        """The camera's entries, oldest first."""
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key(FP_MEMORY_PARTITION_KEY).eq(camera_id),
                                  "ConsistentRead": True}
        out = []
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                box, detector_score = item.get("box"), item.get("detector_score")
                out.append(MemoryEntry(camera_id=item[FP_MEMORY_PARTITION_KEY], entry_id=item[FP_MEMORY_SORT_KEY],
                                       video_id=item["video_id"], t=float(item.get("t", 0)),
                                       score=float(item.get("score", 0)), region=item.get("region", Region.FULL),
                                       vector=decode(item["embedding_f16"]), added_at=item["added_at"],
                                       kind=Label(item.get("kind", Label.FALSE_POSITIVE)),
                                       box=decode_box(box) if box else None,
                                       detector_score=None if detector_score is None else float(detector_score)))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add(self, camera_id: str, video_id: str, embeddings: Sequence[FrameEmbedding], now: datetime, *,
            kind: Label = Label.FALSE_POSITIVE) -> list[str]:
        """Remember a video's regions unless they are remembered already; drop the expired entries, and the oldest of
        that kind beyond capacity (one label alone keeps at most `capacity` of its regions, the best-scoring)."""
        everything = self.entries(camera_id)
        live = {e.entry_id for e in current(everything, now, self.max_age)}
        expired = [e.entry_id for e in everything if e.entry_id not in live]
        if expired:
            self.remove(camera_id, expired)
        kept = [e for e in everything if e.kind == kind and e.entry_id in live]
        if any(e.video_id == video_id for e in kept):
            return []
        added_at = iso(now)
        added = []
        chosen = sorted(embeddings, key=lambda e: -e.score)[:self.capacity]
        with self.table.batch_writer() as batch:
            for i, emb in enumerate(chosen):
                entry_id = f"{added_at}#{video_id}#{kind}#{i:02d}"
                item = {FP_MEMORY_PARTITION_KEY: camera_id, FP_MEMORY_SORT_KEY: entry_id,
                        "video_id": video_id, "t": str(emb.t), "score": str(round(emb.score, 5)),
                        "region": emb.region, "embedding_f16": encode(emb.vector), "added_at": added_at, "kind": kind}
                if emb.box is not None:
                    item["box"] = encode_box(emb.box)
                if emb.detector_score is not None:
                    item["detector_score"] = str(round(emb.detector_score, 4))
                batch.put_item(Item=item)
                added.append(entry_id)
        overflow = len(kept) + len(added) - self.capacity
        if overflow > 0:
            self.remove(camera_id, [e.entry_id for e in kept[:overflow]])
        return added

    def remove(self, camera_id: str, entry_ids: Iterable[str]) -> int:
        doomed = list(entry_ids)
        with self.table.batch_writer() as batch:
            for entry_id in doomed:
                batch.delete_item(Key={FP_MEMORY_PARTITION_KEY: camera_id, FP_MEMORY_SORT_KEY: entry_id})
        return len(doomed)
