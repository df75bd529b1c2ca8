"""Group frames into KVS fragments (one Matroska cluster each, starting on a keyframe) on the producer clock."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import ebml
from .source import MAX_FRAGMENT_MS, SourceError, SourceFrame


@dataclass(frozen=True)
class Fragment:
    """One cluster ready to send: absolute producer timecode (ms since the epoch) and its bytes."""

    timecode_ms: int
    end_offset_ms: int  # last frame's time from the stream start, for real-time pacing
    frame_count: int
    data: bytes


def group_fragments(frames: Iterable[SourceFrame], fragment_ms: int) -> Iterator[list[SourceFrame]]:
    """Cut before the first keyframe at least `fragment_ms` after the current fragment's start."""
    current: list[SourceFrame] = []
    for frame in frames:
        if not current and not frame.keyframe:
            continue
        if frame.keyframe and current and frame.offset_ms - current[0].offset_ms >= fragment_ms:
            yield current
            current = []
        if current and frame.offset_ms - current[0].offset_ms >= MAX_FRAGMENT_MS:
            raise SourceError(
                "keyframes in the source are more than 10 s apart, longer than a Kinesis Video Streams "
                "fragment may be; push again with --reencode always"
            )
        current.append(frame)
    if current:
        yield current


def pack_fragments(frames: Iterable[SourceFrame], *, start_ms: int, fragment_ms: int) -> Iterator[Fragment]:
    """Clusters whose timecodes are absolute producer times: start_ms + the frame's offset."""
    for group in group_fragments(frames, fragment_ms):
        blocks = [ebml.Frame(start_ms + f.offset_ms, f.keyframe, f.data) for f in group]
        yield Fragment(
            timecode_ms=blocks[0].timestamp_ms,
            end_offset_ms=max(f.offset_ms for f in group),
            frame_count=len(group),
            data=ebml.cluster(blocks),
        )
