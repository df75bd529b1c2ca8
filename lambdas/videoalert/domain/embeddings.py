"""Compact frame embeddings (float16, base64) and the cosine distance the false-positive memory matches on."""
from __future__ import annotations

import base64
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from videoalert_contract.inference import Region, TopEmbedding, region_key


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
    """The embedding of one top-scoring frame (or region) of a clip, as the record stores it: in detect mode the
    crop's embedding, its box ([x0, y0, x1, y1], fractions of the frame) and the detector's score for the box."""

    t: float
    score: float
    vector: tuple[float, ...]
    region: str = Region.FULL
    box: tuple[float, ...] | None = None
    detector_score: float | None = None

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"t": round(float(self.t), 3), "score": round(float(self.score), 5),
                                "region": self.region, "embedding_f16": encode(self.vector)}
        if self.box is not None:
            item["box"] = encode_box(self.box)
        if self.detector_score is not None:
            item["detector_score"] = round(float(self.detector_score), 4)
        return item

    @classmethod
    def from_top(cls, top: TopEmbedding) -> FrameEmbedding:
        """An inference top embedding as the record stores it (rounded, float16), so matching now and on any later
        read of the record sees the same numbers."""
        return cls.from_item(cls(top.frame.t, top.frame.score, top.embedding, region_key(top.frame.region),
                                 top.frame.box, top.detector_score).to_item())

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> FrameEmbedding:
        """Read the stored form, or the inference response's form (a plain float list under "embedding")."""
        vector = (
            decode(item["embedding_f16"]) if "embedding_f16" in item else tuple(float(v) for v in item["embedding"])
        )
        box, detector_score = item.get("box"), item.get("detector_score")
        return cls(
            t=float(item.get("t", 0.0)),
            score=float(item.get("score", 0.0)),
            vector=tuple(vector),
            region=region_key(item.get("region")),
            box=decode_box(box) if box else None,
            detector_score=None if detector_score is None else float(detector_score),
        )


def encode_box(box: Sequence[float]) -> str:
    """A box as "x0,y0,x1,y1" (3 decimals: a thousandth of the frame), one string in an item, not four numbers."""
    return ",".join(f"{float(v):.3f}" for v in box)


def decode_box(value: str | Sequence[Any]) -> tuple[float, ...]:
    """The stored box: the string form, or a list of numbers (an inference answer's)."""
    parts = value.split(",") if isinstance(value, str) else value
    box = tuple(float(v) for v in parts)
    if len(box) != 4:
        raise ValueError(f"a box has 4 numbers, got {value!r}")
    return box
