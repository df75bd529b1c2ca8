"""The stand-in's streams and calls: control plane, PutMedia, ListFragments, GetClip (see the package's docstring)."""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import av
from botocore.credentials import Credentials

from .matroska import H264_CODEC_ID, MkvError, MkvReader, cluster_blocks, mkv_to_mp4, read_tracks
from .wire import QuietServer, chunked_body, verify_sigv4, write_chunk

MAX_CLIP_FRAGMENTS = 200
MAX_CLIP_BYTES = 100 * 1024 * 1024
MAX_FRAGMENT_MS = 10_000
MAX_FRAGMENT_BYTES = 50 * 1024 * 1024
LIST_PAGE_SIZE = 1000
NO_FRAGMENTS = "No fragments found in the stream for the clip request."
ACCOUNT = "000000000000"
API_NAMES = frozenset({"PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
                       "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP", "GET_IMAGES"})


class ApiError(Exception):
    """An error answer: HTTP status, the exception name botocore turns into the error code, a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- storage ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFragment:
    number: str
    producer_ms: int
    server_ms: int
    length_ms: int
    header: bytes  # EBML header, Segment opening, Info and Tracks of the session it came in
    cluster: bytes


@dataclass
class StoredStream:
    name: str
    arn: str
    created_s: float
    retention_hours: int = 24
    media_type: str = "video/h264"
    fragments: list[StoredFragment] = field(default_factory=list)
    kms_key_id: str | None = None  # recorded as given: nothing is encrypted here
    tags: dict[str, str] = field(default_factory=dict)


# --- the endpoint -------------------------------------------------------------------------------------


class LocalKvsEndpoint:
    """Serves the calls above for its streams; use as a context manager (the server runs on a thread)."""

    def __init__(self, streams: tuple[str, ...] | list[str] = (), *, credentials: Credentials | None = None,
                 region: str = "us-east-1",
                 host: str = "127.0.0.1", port: int = 0):
        self.region = region
        self.credentials = credentials
        self.streams: dict[str, StoredStream] = {}
        self._lock = threading.Lock()
        self._next_number = 91343852333181432392682062607743920146264000000
        self.server = QuietServer((host, port), self._handler_class())
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="local-kvs")
        for name in streams:
            self.create_stream({"StreamName": name})

    def __enter__(self) -> LocalKvsEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- control plane ------------------------------------------------------------------------------

    def _stream(self, request: dict[str, Any]) -> StoredStream:
        name, arn = request.get("StreamName"), request.get("StreamARN")
        with self._lock:
            found = self.streams.get(name or "") or next((s for s in self.streams.values() if s.arn == arn), None)
        if found is None:
            raise ApiError(404, "ResourceNotFoundException", "The requested stream is not found or not active.")
        return found

    def create_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("StreamName") or "")
        if not re.fullmatch(r"[a-zA-Z0-9_.-]{1,256}", name):
            raise ApiError(400, "InvalidArgumentException", f"invalid stream name {name!r}")
        created = time.time()
        with self._lock:
            if name in self.streams:
                raise ApiError(400, "ResourceInUseException", f"The stream {name} already exists.")
            arn = f"arn:aws:kinesisvideo:{self.region}:{ACCOUNT}:stream/{name}/{int(created * 1000)}"
            self.streams[name] = StoredStream(name, arn, created, int(request.get("DataRetentionInHours") or 24),
                                              str(request.get("MediaType") or "video/h264"),
                                              kms_key_id=request.get("KmsKeyId"),
                                              tags={str(k): str(v) for k, v in (request.get("Tags") or {}).items()})
        return {"StreamARN": arn}

    def delete_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        if not request.get("StreamARN"):
            raise ApiError(400, "InvalidArgumentException", "StreamARN is required")
        stream = self._stream({"StreamARN": request["StreamARN"]})
        with self._lock:
            self.streams.pop(stream.name, None)
        return {}

    def list_tags_for_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": dict(self._stream(request).tags)}

    def describe_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(request)
        info = {"StreamName": stream.name, "StreamARN": stream.arn, "Status": "ACTIVE",
                "MediaType": stream.media_type, "Version": "1", "CreationTime": stream.created_s,
                "DataRetentionInHours": stream.retention_hours}
        if stream.kms_key_id:
            info["KmsKeyId"] = stream.kms_key_id
        return {"StreamInfo": info}

    def get_data_endpoint(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("APIName") not in API_NAMES:
            raise ApiError(400, "InvalidArgumentException", f"unknown APIName {request.get('APIName')!r}")
        self._stream(request)
        return {"DataEndpoint": self.url}

    # --- data plane ---------------------------------------------------------------------------------

    def store(self, stream: StoredStream, header: bytes, cluster: bytes, producer_ms: int, length_ms: int
              ) -> StoredFragment:
        with self._lock:
            self._next_number += 1
            fragment = StoredFragment(str(self._next_number), producer_ms, int(time.time() * 1000), length_ms,
                                      header, cluster)
            stream.fragments.append(fragment)
        return fragment

    def _selected(self, stream: StoredStream, selector: dict[str, Any]) -> list[StoredFragment]:
        kind = selector.get("FragmentSelectorType", "PRODUCER_TIMESTAMP")
        if kind not in ("PRODUCER_TIMESTAMP", "SERVER_TIMESTAMP"):
            raise ApiError(400, "InvalidArgumentException", f"unknown FragmentSelectorType {kind!r}")
        key = "producer_ms" if kind == "PRODUCER_TIMESTAMP" else "server_ms"
        try:
            window = selector["TimestampRange"]
            start, end = round(window["StartTimestamp"] * 1000), round(window["EndTimestamp"] * 1000)
        except (KeyError, TypeError) as exc:
            raise ApiError(400, "InvalidArgumentException", f"TimestampRange is required: {exc}") from exc
        if end <= start:
            raise ApiError(400, "InvalidArgumentException", "EndTimestamp must be after StartTimestamp")
        with self._lock:
            chosen = [f for f in stream.fragments if start <= getattr(f, key) <= end]
        return sorted(chosen, key=lambda f: (getattr(f, key), f.number))

    def list_fragments(self, request: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(request)
        page_size = int(request.get("MaxResults") or LIST_PAGE_SIZE)
        if not 1 <= page_size <= LIST_PAGE_SIZE:
            raise ApiError(400, "InvalidArgumentException", "MaxResults must be between 1 and 1000")
        if request.get("NextToken"):
            try:
                token = json.loads(base64.urlsafe_b64decode(request["NextToken"]))
                selector, offset = token["selector"], int(token["offset"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ApiError(400, "InvalidArgumentException", "invalid NextToken") from exc
        else:
            selector, offset = request.get("FragmentSelector") or {}, 0
        fragments = self._selected(stream, selector)
        page = fragments[offset : offset + page_size]
        answer: dict[str, Any] = {"Fragments": [
            {"FragmentNumber": f.number, "FragmentSizeInBytes": len(f.cluster), "ProducerTimestamp": f.producer_ms
             / 1000, "ServerTimestamp": f.server_ms / 1000, "FragmentLengthInMilliseconds": f.length_ms}
            for f in page]}
        if offset + page_size < len(fragments):
            answer["NextToken"] = base64.urlsafe_b64encode(
                json.dumps({"selector": selector, "offset": offset + page_size}).encode()).decode()
        return answer

    def get_clip(self, request: dict[str, Any]) -> bytes:
        stream = self._stream(request)
        chosen: list[StoredFragment] = []
        size = 0
        # Like the service: at most the first 200 fragments or 100 MB of the range, silently.
        for fragment in self._selected(stream, request.get("ClipFragmentSelector") or {})[:MAX_CLIP_FRAGMENTS]:
            size += len(fragment.cluster)
            if chosen and size > MAX_CLIP_BYTES:
                break
            chosen.append(fragment)
        if not chosen:
            raise ApiError(404, "ResourceNotFoundException", NO_FRAGMENTS)
        header = chosen[0].header
        tracks = read_tracks(header)
        if tracks.codec_id != H264_CODEC_ID:
            raise ApiError(400, "UnsupportedStreamMediaTypeException",
                           f"track 1 is {tracks.codec_id!r}; GetClip needs {H264_CODEC_ID}")
        if not tracks.codec_private:
            raise ApiError(400, "MissingCodecPrivateDataException", "No codec private data in track 1.")
        if any(f.header != header and read_tracks(f.header).codec_private != tracks.codec_private for f in chosen):
            raise ApiError(400, "InvalidCodecPrivateDataException",
                           "the range holds fragments with different codec private data")
        try:
            return mkv_to_mp4(header + b"".join(f.cluster for f in chosen))
        except (av.FFmpegError, IndexError) as exc:
            raise ApiError(400, "InvalidMediaFrameException", f"cannot package the fragments: {exc}") from exc

    # --- HTTP ---------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self
        calls: dict[str, Callable[[dict[str, Any]], dict[str, Any] | bytes]] = {
                 "/createStream": self.create_stream, "/describeStream": self.describe_stream,
                 "/deleteStream": self.delete_stream, "/listTagsForStream": self.list_tags_for_stream,
                 "/getDataEndpoint": self.get_data_endpoint, "/listFragments": self.list_fragments,
                 "/getClip": self.get_clip}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: dict[str, Any] | bytes, error_type: str | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "video/mp4" if isinstance(body, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error_type:
                    self.send_header("x-amzn-ErrorType", f"{error_type}:")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                path = self.path.split("?")[0]
                body = b"" if path == "/putMedia" else self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if endpoint.credentials is not None:
                    problem = verify_sigv4("POST", self.path, self.headers, body, endpoint.credentials,
                                           endpoint.region)
                    if problem:
                        self.close_connection = True
                        return self.reply(403, {"message": problem}, "InvalidSignatureException")
                if path == "/putMedia":
                    endpoint._put_media(self)
                    return None
                if path not in calls:
                    return self.reply(404, {"message": f"unsupported call {path}"}, "UnknownOperationException")
                try:
                    request = json.loads(body or b"{}")
                    return self.reply(200, calls[path](request))
                except ValueError:
                    return self.reply(400, {"message": "the body is not JSON"}, "InvalidArgumentException")
                except ApiError as err:
                    return self.reply(err.status, {"message": err.message}, err.code)

        return Handler

    def _put_media(self, handler: Any) -> None:
        try:
            stream = self._stream({"StreamName": handler.headers.get("x-amzn-stream-name"),
                                   "StreamARN": handler.headers.get("x-amzn-stream-arn")})
            timecode_type = handler.headers.get("x-amzn-fragment-timecode-type", "")
            if timecode_type not in ("ABSOLUTE", "RELATIVE"):
                raise ApiError(400, "InvalidArgumentException", "x-amzn-fragment-timecode-type must be "
                                                                "ABSOLUTE or RELATIVE")
            start_ms = round(float(handler.headers.get("x-amzn-producer-start-timestamp") or 0) * 1000)
        except ApiError as err:
            handler.close_connection = True
            handler.reply(err.status, {"message": err.message}, err.code)
            return
        except ValueError:
            handler.close_connection = True
            handler.reply(400, {"message": "invalid x-amzn-producer-start-timestamp"}, "InvalidArgumentException")
            return
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        reader, previous = MkvReader(), None
        try:
            for chunk in chunked_body(handler.rfile):
                for header, cluster in reader.feed(chunk):
                    fragment = self._accept(stream, reader, header, cluster, start_ms, timecode_type, previous)
                    previous = fragment.producer_ms
                    for event in ("BUFFERING", "RECEIVED", "PERSISTED"):
                        write_chunk(handler.wfile, {"EventType": event, "FragmentTimecode": fragment.producer_ms,
                                                     "FragmentNumber": fragment.number})
        except MkvError as err:
            write_chunk(handler.wfile, {"EventType": "ERROR", "FragmentTimecode": previous,
                                         "ErrorId": err.error_id, "ErrorCode": str(err)})
            handler.close_connection = True
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def _accept(self, stream: StoredStream, reader: MkvReader, header: bytes, cluster: bytes, start_ms: int,
                timecode_type: str, previous: int | None) -> StoredFragment:
        try:
            timecode, length_ms, tracks = cluster_blocks(cluster)
        except (IndexError, ValueError) as exc:
            raise MkvError(4006, f"unreadable cluster: {exc}") from exc
        producer_ms = timecode if timecode_type == "ABSOLUTE" else start_ms + timecode
        if len(cluster) > MAX_FRAGMENT_BYTES:
            raise MkvError(4001, "fragment larger than 50 MB")
        if length_ms > MAX_FRAGMENT_MS:
            raise MkvError(4002, f"fragment of {length_ms} ms, over 10 s")
        if previous is not None and producer_ms < previous:
            raise MkvError(4004, f"fragment timecode {producer_ms} is lower than the previous one {previous}")
        if reader.tracks is not None and not tracks <= reader.tracks.numbers:
            raise MkvError(4010, f"blocks of tracks {sorted(tracks - reader.tracks.numbers)} not in the header")
        return self.store(stream, header, cluster, producer_ms, length_ms)
