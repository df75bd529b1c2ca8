"""A Kinesis Video Streams stand-in on 127.0.0.1: GetDataEndpoint, PutMedia, ListFragments and GetClip.

moto has no KVS media plane, so the local run and the tests use this to take `videoalert push` and serve
the dispatcher's KvsClipSource with real boto3 calls: fragments are kept in memory as they arrive and
GetClip remuxes the requested clusters to MP4 with PyAV, as the service does (without re-encoding).
"""
from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av

from .kvs import ebml

MAX_CLIP_FRAGMENTS = 200
NO_FRAGMENTS = "No fragments found in the stream for the clip request."


@dataclass
class StoredFragment:
    number: str
    producer_ms: int
    server_ms: int
    length_ms: int
    cluster: bytes


@dataclass
class StoredStream:
    header: bytes = b""  # EBML header, Segment opening, Info, Tracks of the latest session
    fragments: list[StoredFragment] = field(default_factory=list)


def _cluster_duration_ms(cluster: bytes) -> tuple[int, int]:
    """(cluster timecode, ms from its first to its last block) of one complete cluster."""
    _, size, pos = ebml.element_header(cluster, 0)
    end, timecode, last = pos + size, 0, 0
    while pos < end:
        element_id, child_size, body = ebml.element_header(cluster, pos)
        if element_id == ebml.TIMECODE:
            timecode = int.from_bytes(cluster[body : body + child_size], "big")
        elif element_id == ebml.SIMPLE_BLOCK:
            _, after_track = ebml.read_vint(cluster, body)
            last = max(last, int.from_bytes(cluster[after_track : after_track + 2], "big", signed=True))
        pos = body + child_size
    return timecode, last


def mkv_to_mp4(mkv: bytes) -> bytes:
    """Remux a Matroska H.264 stream to MP4 without re-encoding, timestamps starting at zero.

    Matroska stores presentation times only, and FFmpeg's demuxer leaves the first decode times unset
    when frames are reordered (B-frames), which MP4 needs. Decode times are rebuilt from the sorted
    presentation times, held back by the stream's reordering depth so none comes after its frame's
    presentation time.
    """
    with av.open(io.BytesIO(mkv), format="matroska") as source:
        in_stream = source.streams.video[0]
        packets = [p for p in source.demux(in_stream) if p.pts is not None and p.size]
        presentation = sorted(p.pts for p in packets)
        rank = {pts: index for index, pts in enumerate(presentation)}
        delay = max([0] + [i - rank[p.pts] for i, p in enumerate(packets)])
        step = (presentation[-1] - presentation[0]) // max(1, len(presentation) - 1) if packets else 1
        origin = presentation[0] - delay * step if packets else 0
        out_buffer = io.BytesIO()
        with av.open(out_buffer, "w", format="mp4") as target:
            out_stream = target.add_stream_from_template(in_stream)
            for index, packet in enumerate(packets):
                dts = presentation[index - delay] if index >= delay else presentation[0] - (delay - index) * step
                packet.pts, packet.dts = packet.pts - origin, dts - origin
                packet.stream = out_stream
                target.mux(packet)
    return out_buffer.getvalue()


class LocalKvsEndpoint:
    """Serves the four calls for the streams it is told about; use as a context manager."""

    def __init__(self, streams=(), *, host: str = "127.0.0.1", port: int = 0):
        self.streams: dict[str, StoredStream] = {name: StoredStream() for name in streams}
        self._lock = threading.Lock()
        self._next_number = 91343852333181432392682062607743920146264000000
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="local-kvs")

    def __enter__(self) -> LocalKvsEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the API --------------------------------------------------------------------------------------

    def _stream(self, name: str | None) -> StoredStream | None:
        return self.streams.get(name or "")

    def _store(self, stream: StoredStream, cluster: bytes) -> StoredFragment:
        timecode, last_block = _cluster_duration_ms(cluster)
        with self._lock:
            self._next_number += 1
            fragment = StoredFragment(str(self._next_number), timecode, int(time.time() * 1000), last_block, cluster)
            stream.fragments.append(fragment)
        return fragment

    def _selected(self, stream: StoredStream, selector: dict) -> list[StoredFragment]:
        key = (
            "producer_ms"
            if selector.get("FragmentSelectorType", "PRODUCER_TIMESTAMP") == "PRODUCER_TIMESTAMP"
            else "server_ms"
        )
        window = selector["TimestampRange"]
        start, end = round(window["StartTimestamp"] * 1000), round(window["EndTimestamp"] * 1000)
        with self._lock:
            chosen = [f for f in stream.fragments if start <= getattr(f, key) <= end]
        return sorted(chosen, key=lambda f: getattr(f, key))

    def list_fragments(self, request: dict) -> tuple[int, dict]:
        stream = self._stream(request.get("StreamName"))
        if stream is None:
            return 404, {"message": "Stream not found"}
        return 200, {
            "Fragments": [
                {
                    "FragmentNumber": f.number,
                    "FragmentSizeInBytes": len(f.cluster),
                    "ProducerTimestamp": f.producer_ms / 1000,
                    "ServerTimestamp": f.server_ms / 1000,
                    "FragmentLengthInMilliseconds": f.length_ms,
                }
                for f in self._selected(stream, request["FragmentSelector"])
            ]
        }

    def get_clip(self, request: dict) -> tuple[int, dict | bytes]:
        stream = self._stream(request.get("StreamName"))
        if stream is None:
            return 404, {"message": "Stream not found"}
        # Like the service: at most the first 200 fragments of the range, silently.
        chosen = self._selected(stream, request["ClipFragmentSelector"])[:MAX_CLIP_FRAGMENTS]
        if not chosen:
            return 404, {"message": NO_FRAGMENTS}
        return 200, mkv_to_mp4(stream.header + b"".join(f.cluster for f in chosen))

    # --- HTTP -----------------------------------------------------------------------------------------

    def _handler_class(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, body) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "video/mp4" if isinstance(body, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 404:
                    self.send_header("x-amzn-ErrorType", "ResourceNotFoundException:")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                if self.path == "/putMedia":
                    return endpoint._put_media(self)
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path == "/getDataEndpoint":
                    if endpoint._stream(request.get("StreamName")) is None:
                        return self._reply(404, {"message": "The requested stream is not found or not active."})
                    return self._reply(200, {"DataEndpoint": endpoint.url})
                if self.path == "/listFragments":
                    return self._reply(*endpoint.list_fragments(request))
                if self.path == "/getClip":
                    return self._reply(*endpoint.get_clip(request))
                self._reply(400, {"message": f"unsupported call {self.path}"})

        return Handler

    def _put_media(self, handler) -> None:
        stream = self._stream(handler.headers.get("x-amzn-stream-name"))
        if stream is None:
            return handler._reply(404, {"message": "Stream not found"})
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        buffer, header_end, pos = b"", None, 0
        for chunk in chunked_body(handler.rfile):
            buffer += chunk
            while True:
                try:
                    element_id, size, body = ebml.element_header(buffer, pos)
                except IndexError:
                    break
                if element_id == ebml.SEGMENT:
                    pos = body  # unknown size: its children follow
                    continue
                if size is None or body + size > len(buffer):
                    break
                if element_id == ebml.CLUSTER:
                    if header_end is None:
                        header_end = pos
                        stream.header = buffer[:header_end]
                    fragment = self._store(stream, buffer[pos : body + size])
                    for event in ("BUFFERING", "RECEIVED", "PERSISTED"):
                        _write_chunk(
                            handler.wfile,
                            {
                                "EventType": event,
                                "FragmentTimecode": fragment.producer_ms,
                                "FragmentNumber": fragment.number,
                            },
                        )
                pos = body + size
            if header_end is not None and pos > header_end:
                # Keep the header, drop the clusters already stored.
                buffer, pos = buffer[:header_end] + buffer[pos:], header_end
        handler.wfile.write(b"0\r\n\r\n")


def _write_chunk(wfile, event: dict) -> None:
    data = json.dumps(event).encode()
    wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    wfile.flush()


def chunked_body(rfile):
    """The chunks of a chunked-transfer request body, as they arrive (PutMedia streams its body this way)."""
    while True:
        line = rfile.readline()
        if not line:
            return
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            rfile.readline()
            return
        data = rfile.read(size)
        rfile.readline()
        yield data
