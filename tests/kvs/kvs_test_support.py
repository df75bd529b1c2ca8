"""Test-side helpers: an independent EBML reader, real clips made with PyAV, and a loopback KVS endpoint."""
from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av
import numpy as np
from botocore.credentials import Credentials

from videoalert_local.kvs import chunked_body, verify_sigv4

# --- EBML reader (written from the EBML spec, independently of the writer under test) -------------

MASTER_IDS = {
    0x1A45DFA3: "EBML", 0x18538067: "Segment", 0x1549A966: "Info", 0x1654AE6B: "Tracks",
    0xAE: "TrackEntry", 0xE0: "Video", 0x1F43B675: "Cluster",
}
NAMES = {
    0x4282: "DocType", 0x2AD7B1: "TimecodeScale", 0xD7: "TrackNumber", 0x83: "TrackType", 0x86: "CodecID",
    0x63A2: "CodecPrivate", 0xB0: "PixelWidth", 0xBA: "PixelHeight", 0xE7: "Timecode", 0xA3: "SimpleBlock",
    **MASTER_IDS,
}


@dataclass
class Element:
    name: str
    id: int
    size: int | None  # None = unknown size
    data: bytes = b""
    children: list[Element] = field(default_factory=list)

    def find(self, name: str) -> list[Element]:
        return [c for c in self.children if c.name == name]

    def one(self, name: str) -> Element:
        (found,) = self.find(name)
        return found

    @property
    def uint(self) -> int:
        return int.from_bytes(self.data, "big")


def read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int | None, int]:
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"bad vint at {pos}")
    raw = int.from_bytes(data[pos : pos + length], "big")
    if keep_marker:
        return raw, pos + length
    value = raw & ((1 << (7 * length)) - 1)
    return (None if value == (1 << (7 * length)) - 1 else value), pos + length


def parse(data: bytes, pos: int = 0, end: int | None = None) -> list[Element]:
    end = len(data) if end is None else end
    out = []
    while pos < end:
        element_id, pos = read_vint(data, pos, keep_marker=True)
        size, pos = read_vint(data, pos, keep_marker=False)
        name = NAMES.get(element_id, hex(element_id))
        stop = end if size is None else pos + size
        if stop > end:
            raise ValueError(f"{name} at {pos} overruns its parent")
        if element_id in MASTER_IDS:
            out.append(Element(name, element_id, size, children=parse(data, pos, stop)))
        else:
            out.append(Element(name, element_id, size, data=data[pos:stop]))
        pos = stop
    return out


@dataclass
class Block:
    track: int
    relative_ms: int
    keyframe: bool
    payload: bytes


def simple_block(element: Element) -> Block:
    track, pos = read_vint(element.data, 0, keep_marker=False)
    relative = int.from_bytes(element.data[pos : pos + 2], "big", signed=True)
    flags = element.data[pos + 2]
    return Block(track, relative, bool(flags & 0x80), element.data[pos + 3 :])


# --- real clips --------------------------------------------------------------------------------------


def make_clip(path, *, seconds: float, fps: int = 10, gop_frames: int = 10, codec: str = "libx264",
              size=(320, 240), container: str | None = None) -> str:
    """A clip of a moving gradient and square, encoded for real with PyAV (keyframe every gop_frames)."""
    width, height = size
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop_frames
        if codec == "libx264":
            stream.codec_context.options = {"x264-params": f"keyint={gop_frames}:min-keyint={gop_frames}:scenecut=0"}
        yy, xx = np.mgrid[0:height, 0:width]
        for index in range(int(seconds * fps)):
            image = np.stack([(xx + 3 * index) % 256, (yy + 2 * index) % 256, np.full_like(xx, 90)], axis=-1)
            x = (index * 7) % (width - 40)
            image[60:100, x : x + 40] = 255
            frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return str(path)


def make_mp4_bytes(seconds: float = 1.0) -> bytes:
    """An MP4 clip in memory, the kind GetClip returns."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(int(seconds * 10)):
            image = np.full((48, 64, 3), index * 20 % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def decoded_frames(source) -> list[np.ndarray]:
    with av.open(source if isinstance(source, str) else io.BytesIO(source)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


# --- a loopback Kinesis Video Streams endpoint --------------------------------------------------------

@dataclass
class PutMediaRecord:
    headers: dict
    signature_problem: str | None
    clusters: list[Element] = field(default_factory=list)
    segment_children: list[str] = field(default_factory=list)
    raw: bytes = b""


class LoopbackKvs:
    """GetDataEndpoint and PutMedia on 127.0.0.1: checks SigV4, parses the MKV as it streams in and
    answers with BUFFERING/RECEIVED/PERSISTED per cluster, or an ERROR after `error_after` clusters."""

    def __init__(self, *, streams=("videoalert-cam1",), region="us-east-1", error_after: int | None = None,
                 error_id: int = 4006, secret_key: str = "testing", end_after: int | None = None):
        self.streams, self.region = set(streams), region
        self.end_after = end_after
        self.error_after, self.error_id = error_after, error_id
        self.credentials = Credentials("testing", secret_key, "testing")
        self.endpoint_requests: list[dict] = []
        self.put_media: list[PutMediaRecord] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                if self.path == "/getDataEndpoint":
                    owner._get_data_endpoint(self)
                elif self.path == "/putMedia":
                    owner._put_media(self)
                else:
                    self._json(404, {"message": "no such path"})

            def _json(self, status, body, error_type=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error_type:
                    self.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/coral/")
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _get_data_endpoint(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        problem = verify_sigv4("POST", handler.path, handler.headers, body, self.credentials, self.region)
        request = json.loads(body)
        self.endpoint_requests.append({**request, "signature_problem": problem})
        if problem:
            return handler._json(403, {"message": problem}, "InvalidSignatureException")
        if request["StreamName"] not in self.streams:
            return handler._json(404, {"Message": "The requested stream is not found or not active."},
                                 "ResourceNotFoundException")
        handler._json(200, {"DataEndpoint": self.url})

    def _put_media(self, handler):
        problem = verify_sigv4("POST", handler.path, handler.headers, b"", self.credentials, self.region)
        record = PutMediaRecord(dict(handler.headers), problem)
        self.put_media.append(record)
        if problem:
            return handler._json(403, {"message": problem}, "NotAuthorizedException")
        if handler.headers.get("x-amzn-stream-name") not in self.streams:
            return handler._json(404, {"message": "stream not found"}, "ResourceNotFoundException")
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

        def ack(event: dict):
            data = json.dumps(event).encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            handler.wfile.flush()

        buffer, pos, _in_segment, number = b"", 0, False, 0
        for chunk in chunked_body(handler.rfile):
            buffer += chunk
            record.raw += chunk
            while True:  # take every complete top-level / segment-level element
                if pos >= len(buffer):
                    break
                try:
                    element_id, body_at = read_vint(buffer, pos, keep_marker=True)
                    size, body_at = read_vint(buffer, body_at, keep_marker=False)
                except (IndexError, ValueError):
                    break
                if element_id == 0x18538067:  # Segment of unknown size: descend into it
                    _in_segment, pos = True, body_at
                    record.segment_children.append("Segment")
                    continue
                if size is None or body_at + size > len(buffer):
                    break
                (element,) = parse(buffer, pos, body_at + size)
                pos = body_at + size
                record.segment_children.append(element.name)
                if element.name != "Cluster":
                    continue
                record.clusters.append(element)
                timecode = element.one("Timecode").uint
                number += 1
                if self.error_after is not None and len(record.clusters) > self.error_after:
                    ack({"EventType": "ERROR", "FragmentTimecode": timecode,
                         "FragmentNumber": f"9134385233318{number:08d}", "ErrorId": self.error_id})
                    handler.wfile.write(b"0\r\n\r\n")
                    handler.close_connection = True
                    return
                for event in ("BUFFERING", "RECEIVED", "PERSISTED"):
                    ack({"EventType": event, "FragmentTimecode": timecode,
                         "FragmentNumber": f"9134385233318{number:08d}"})
                if self.end_after is not None and len(record.clusters) >= self.end_after:
                    handler.wfile.write(b"0\r\n\r\n")  # the service hangs up without an error
                    handler.wfile.flush()
                    handler.close_connection = True
                    return
        handler.wfile.write(b"0\r\n\r\n")
