"""Push one source into a Kinesis video stream: open, pack fragments, PutMedia sessions, acknowledgements.

`videoalert push` and the local run's camera path both stream through this.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..redaction import redact
from . import ebml
from .acks import Ack
from .fragments import pack_fragments
from .putmedia import Pacer, PutMediaSession, put_media_endpoint, stream_fragments
from .source import SourceError, VideoSource, is_live


@dataclass(frozen=True)
class PushSummary:
    source: str
    stream: str
    mode: str  # "re-encoding to H.264" or "remuxing h264"
    width: int
    height: int
    start_ms: int
    last_timecode_ms: int | None
    fragments_sent: int
    persisted: int
    interrupted: bool

    @property
    def complete(self) -> bool:
        return self.persisted >= self.fragments_sent

    def to_dict(self) -> dict[str, Any]:
        return {"source": redact(self.source), "stream": self.stream, "mode": self.mode, "width": self.width,
                "height": self.height, "producer_start": iso_ms(self.start_ms),
                "producer_last_fragment": iso_ms(self.last_timecode_ms or self.start_ms),
                "fragments_sent": self.fragments_sent, "fragments_persisted": self.persisted,
                "interrupted": self.interrupted}


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def push_source(source_name: str, *, stream: str, kvs_client: Any, credentials: Any, region: str, start_ms: int,
                fragment_seconds: float = 2.0, reencode: str = "auto", realtime: bool = False,
                timeout_s: float = 60.0, session_minutes: float = 40.0, width: int | None = None,
                on_start: Callable[[str, VideoSource], None] = lambda mode, source: None,
                on_ack: Callable[[Ack], None] = lambda ack: None) -> PushSummary:
    """Stream `source_name` (a file or camera URL) into `stream` from producer time `start_ms`.

    The source is opened before any network call, so a bad file fails fast and costs no request. width: scaled to this
    width (aspect kept) and re-encoded, as a camera's sub-stream of the same pictures.
    """
    with VideoSource(source_name, reencode=reencode, fragment_seconds=fragment_seconds, timeout_s=timeout_s,
                     width=width) as source:
        endpoints = [put_media_endpoint(kvs_client, stream)]  # later sessions look the endpoint up afresh
        fragments = pack_fragments(source.frames(), start_ms=start_ms, fragment_ms=round(fragment_seconds * 1000))
        # The codec private data (SPS/PPS) is only certain once the first keyframe has been read.
        first = next(fragments, None)
        if first is None:
            raise SourceError(f"{source_name!r} has no decodable H.264 keyframe")
        header = ebml.stream_header(ebml.VideoTrack(source.codec_private or b"", source.width, source.height))
        mode = "re-encoding to H.264" if source.reencode else f"remuxing {source.input_codec}"
        on_start(mode, source)

        def open_session() -> PutMediaSession:
            return PutMediaSession(endpoint=endpoints.pop() if endpoints else put_media_endpoint(kvs_client, stream),
                                   stream_name=stream, credentials=credentials, region=region,
                                   producer_start_ms=start_ms, on_ack=on_ack, timeout_s=timeout_s)

        result = stream_fragments(open_session, header, itertools.chain([first], fragments),
                                  Pacer(realtime=realtime and not is_live(source_name)),
                                  max_session_s=session_minutes * 60)
        return PushSummary(source_name, stream, mode, source.width, source.height, start_ms, result.last_timecode_ms,
                           result.fragments_sent, result.persisted, result.interrupted)
