"""Compact frame embeddings (float16, base64) and the cosine distance the false-positive memory matches on."""
from __future__ import annotations

import base64
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from videoalert_contract.inference import REGION_FULL, TopEmbedding, region_key


def encode(vector: Sequence[float]) -> str:
    """float16 little-endian, base64: 512 floats take 1,368 characters instead of ~10 KB of DynamoDB numbers."""
    return base64.b64encode(struct.pack(f"<{len(vector)}e", *(float(v) for v in vector))).decode("ascii")


def decode(text: str) -> tuple[float, ...]:
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 2}e", raw)


def cosine_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """1 - cos(a, b), in [0, 2]; a zero vector is at distance 1 from everything (it matches nothing)."""
    if len(a) != len(b):
        raise ValueError(f"embedding sizes differ: {len(a)} vs {len(b)}")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return 1.0 if norm == 0 else 1.0 - dot / norm


@dataclass(frozen=True)
class FrameEmbedding:
    """The embedding of one top-scoring frame (or region) of a clip, as the record stores it."""

    t: float
    score: float
    vector: tuple[float, ...]
    region: str = REGION_FULL

    def to_item(self) -> dict[str, Any]:
        return {"t": round(float(self.t), 3), "score": round(float(self.score), 5), "region": self.region,
                "embedding_f16": encode(self.vector)}

    @classmethod
    def from_top(cls, top: TopEmbedding) -> FrameEmbedding:
        """An inference top embedding as the record stores it (rounded, float16), so matching now and on any later
        read of the record sees the same numbers."""
        return cls.from_item(cls(top.frame.t, top.frame.score, top.embedding, region_key(top.frame.region)).to_item())

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> FrameEmbedding:
        """Read the stored form, or the inference response's form (a plain float list under "embedding")."""
        vector = (
            decode(item["embedding_f16"]) if "embedding_f16" in item else tuple(float(v) for v in item["embedding"])
        )
        return cls(
            t=float(item.get("t", 0.0)),
            score=float(item.get("score", 0.0)),
            vector=tuple(vector),
            region=region_key(item.get("region")),
        )
