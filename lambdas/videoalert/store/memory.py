"""False-positive memory: per camera, the embeddings of frames users marked as not a person (bounded, oldest out),
and, as counter-examples, frames they confirmed as people."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from boto3.dynamodb.conditions import Key

from videoalert.domain.embeddings import FrameEmbedding, cosine_distance, decode, encode
from videoalert.domain.ids import iso
from videoalert_contract.names import FP_MEMORY_PARTITION_KEY, FP_MEMORY_SORT_KEY

DEFAULT_CAPACITY = 50  # entries per camera and kind: ~1.4 KB items, one or two query pages to read them all
NOT_A_PERSON = "false_positive"
CONFIRMED_PERSON = "true_positive"


@dataclass(frozen=True)
class MemoryEntry:
    camera_id: str
    entry_id: str  # "<added_at>#<video_id>#<nn>": sorts oldest first
    video_id: str
    t: float
    score: float
    region: str
    vector: tuple[float, ...]
    added_at: str
    kind: str = NOT_A_PERSON


@dataclass(frozen=True)
class MemoryMatch:
    video_id: str  # the false-positive video whose frame this detection resembles
    entry_id: str
    distance: float
    t: float  # the detection's frame time in this clip

    def to_item(self) -> dict:
        return {"video_id": self.video_id, "entry_id": self.entry_id, "distance": round(self.distance, 5),
                "t": self.t}


def nearest(detection: FrameEmbedding, entries: Sequence[MemoryEntry]) -> MemoryMatch | None:
    best = None
    for entry in entries:
        if len(entry.vector) != len(detection.vector):
            continue  # stored by a model with another embedding size: it cannot be compared
        distance = cosine_distance(detection.vector, entry.vector)
        if best is None or distance < best.distance:
            best = MemoryMatch(entry.video_id, entry.entry_id, distance, detection.t)
    return best


def detections(embeddings: Sequence[FrameEmbedding], threshold: float) -> list[FrameEmbedding]:
    """The top frames that made the clip alert (those at or over the threshold; all of them if none is)."""
    over = [e for e in embeddings if e.score >= threshold]
    return over or list(embeddings)


def suppression(embeddings: Sequence[FrameEmbedding], entries: Sequence[MemoryEntry], *, threshold: float,
                max_distance: float) -> MemoryMatch | None:
    """The match that suppresses this clip, or None.

    Every detecting frame must be within max_distance of a remembered false positive, and closer to it than
    to any frame the user confirmed as a person on this camera: a statue plus a new person in another top
    frame still alerts, and so does a person whose whole-frame embedding is dominated by the same background
    as a remembered false positive. The match of the highest-scoring frame is returned as the evidence.
    """
    not_person = [e for e in entries if e.kind == NOT_A_PERSON]
    people = [e for e in entries if e.kind == CONFIRMED_PERSON]
    if max_distance <= 0 or not not_person:
        return None
    found = detections(embeddings, threshold)
    if not found:
        return None
    matches = []
    for detection in sorted(found, key=lambda e: -e.score):
        match = nearest(detection, not_person)
        if match is None or match.distance > max_distance:
            return None
        person = nearest(detection, people)
        if person is not None and person.distance <= match.distance:
            return None
        matches.append(match)
    return matches[0]


def matching_entries(embeddings: Iterable[FrameEmbedding], entries: Sequence[MemoryEntry], *,
                     max_distance: float) -> list[MemoryEntry]:
    """Entries within max_distance of any of these embeddings (what a true-positive label removes)."""
    embeddings = list(embeddings)
    return [entry for entry in entries if entry.kind == NOT_A_PERSON
            and any(len(e.vector) == len(entry.vector) and cosine_distance(e.vector, entry.vector) <= max_distance
                   for e in embeddings)]


class FpMemory:
    """Adapter over the false-positive memory table (partition camera_id, sort entry_id)."""

    def __init__(self, table, *, capacity: int = DEFAULT_CAPACITY):
        self.table = table
        self.capacity = capacity

    def entries(self, camera_id: str) -> list[MemoryEntry]:
        """The camera's entries, oldest first."""
        kwargs = {"KeyConditionExpression": Key(FP_MEMORY_PARTITION_KEY).eq(camera_id), "ConsistentRead": True}
        out = []
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                out.append(MemoryEntry(camera_id=item[FP_MEMORY_PARTITION_KEY], entry_id=item[FP_MEMORY_SORT_KEY],
                                       video_id=item["video_id"], t=float(item.get("t", 0)),
                                       score=float(item.get("score", 0)), region=item.get("region", "full"),
                                       vector=decode(item["embedding_f16"]), added_at=item["added_at"],
                                       kind=item.get("kind", NOT_A_PERSON)))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add(self, camera_id: str, video_id: str, embeddings: Sequence[FrameEmbedding], now: datetime, *,
            kind: str = NOT_A_PERSON) -> list[str]:
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
        entry_ids = list(entry_ids)
        with self.table.batch_writer() as batch:
            for entry_id in entry_ids:
                batch.delete_item(Key={FP_MEMORY_PARTITION_KEY: camera_id, FP_MEMORY_SORT_KEY: entry_id})
        return len(entry_ids)
