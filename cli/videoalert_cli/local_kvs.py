"""A Kinesis Video Streams stand-in on 127.0.0.1, for `videoalert run-local` and the tests.

moto has no KVS media plane (its GetClip returns fixed placeholder bytes, and PutMedia is in no Python SDK),
so the local run streams clips with `videoalert push` into this endpoint and the dispatcher's KvsClipSource
reads them back with its real boto3 calls. It serves, over HTTP on one port:

- control plane: CreateStream (with its tags and KMS key id, kept as given), DescribeStream, DeleteStream (by ARN,
  with its fragments), ListTagsForStream, GetDataEndpoint (any APIName; the answer is this endpoint): streams can be
  created and deleted while it runs (`videoalert camera add/remove --local`);
- PutMedia: the Matroska body as it streams in (chunked), one stored fragment per cluster, BUFFERING,
  RECEIVED and PERSISTED acknowledgements per fragment; ERROR acks 4006 (not Matroska), 4002 (fragment over
  10 s), 4001 (fragment over 50 MB), 4004 (timecode lower than the previous fragment's in the session),
  4010 (a block of a track the header does not declare), after which the connection ends, as the service does;
- ListFragments: by producer or server timestamp (both ends inclusive), pages of MaxResults (1000 when not
  given) with NextToken;
- GetClip: the fragments of the range remuxed to MP4 with PyAV (no re-encoding), at most the first 200
  fragments or 100 MB of the range, silently, as the service truncates; "no fragments" is the service's
  ResourceNotFoundException message; a range whose end is not after its start is InvalidArgumentException;
  a track that is not H.264 is UnsupportedStreamMediaTypeException, one without codec private data
  MissingCodecPrivateDataException.

Every request's SigV4 signature is checked against the credentials it is given (the local run's dummy
ones): PutMedia as the producer SDKs sign it (headers only, empty payload), the JSON calls with their body.

Its limits against the real service (also in README.md, "The local KVS stand-in"):
- fragments live in memory, for the life of the process: no retention period, nothing expires, nothing is
  encrypted (no KMS), and there is no IAM: a valid signature with the configured key is all it checks;
- one endpoint for the control and data planes, one region, streams only by name or the ARN it issued;
- no GetMedia, GetImages, HLS/DASH sessions, GetMediaForFragmentList, UpdateDataRetention, TagStream or
  ListStreams; DescribeStream reports every stream ACTIVE at once, DeleteStream removes it at once;
- no service limits are enforced: PutMedia's 5 fragments/s and 12.5 MB/s, connection counts and
  durations, GetClip's rate (`videoalert push` paces itself to 5 fragments/s all the same);
- acknowledgements of a fragment are sent together once the whole cluster is stored (the service sends
  BUFFERING as the fragment starts to arrive), and no IDLE acks;
- producer timestamps are not checked against the clock (the service refuses ones too far in the future
  with 4007) and server timestamps are the arrival time here;
- GetClip's MP4 is a plain (not fragmented) MP4, so its size differs from the service's; a range whose
  fragments came in sessions with different codec settings is refused (InvalidCodecPrivateDataException)
  where the service's behaviour was not checked; audio tracks are not carried into the clip;
- RELATIVE and ABSOLUTE fragment timecodes are both accepted; the header's TimecodeScale is taken as 1 ms.
"""
from __future__ import annotations

import base64
import hmac
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import av
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .kvs import ebml

MAX_CLIP_FRAGMENTS = 200
MAX_CLIP_BYTES = 100 * 1024 * 1024
MAX_FRAGMENT_MS = 10_000
MAX_FRAGMENT_BYTES = 50 * 1024 * 1024
LIST_PAGE_SIZE = 1000
NO_FRAGMENTS = "No fragments found in the stream for the clip request."
SERVICE = "kinesisvideo"
ACCOUNT = "000000000000"
API_NAMES = frozenset({"PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
                       "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP", "GET_IMAGES"})
H264_CODEC_ID = "V_MPEG4/ISO/AVC"
_TRACK_NUMBER, _CODEC_ID, _CODEC_PRIVATE = ebml.TRACK_NUMBER, ebml.CODEC_ID, ebml.CODEC_PRIVATE


class ApiError(Exception):
    """An error answer: HTTP status, the exception name botocore turns into the error code, a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class MkvError(ValueError):
    """The PutMedia body is not Matroska the service could take; carries the ack's ErrorId."""

    def __init__(self, error_id: int, message: str):
        super().__init__(message)
        self.error_id = error_id


# --- SigV4 --------------------------------------------------------------------------------------------

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")


def verify_sigv4(method: str, path: str, headers: Any, body: bytes, credentials: Credentials, region: str,
                 service: str = SERVICE) -> str | None:
    """Recompute the request's SigV4 signature with botocore; None when it matches, else the reason."""
    match = _AUTH.fullmatch(headers.get("Authorization", ""))
    if not match:
        return "no SigV4 Authorization header"
    access_key, _, signed_region, signed_service, signed_headers, signature = match.groups()
    if (access_key, signed_region, signed_service) != (credentials.access_key, region, service):
        return f"wrong scope {access_key}/{signed_region}/{signed_service}"
    names = signed_headers.split(";")
    if "host" not in names or "x-amz-date" not in names:
        return "host and x-amz-date must be signed"
    request = AWSRequest(method=method, url=f"http://{headers['Host']}{path}",
                         headers={name: headers[name] for name in names}, data=body)
    request.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(credentials, service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return None if hmac.compare_digest(expected, signature) else "signature mismatch"


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


@dataclass(frozen=True)
class TrackInfo:
    numbers: frozenset[int]
    codec_id: str | None  # of the first track
    codec_private: bytes | None


def read_tracks(header: bytes) -> TrackInfo:
    """Track numbers and the first track's codec from a stream header (EBML header .. Tracks)."""
    numbers: set[int] = set()
    codec_id, codec_private = None, None
    pos = 0
    while pos < len(header):
        element_id, size, body = ebml.element_header(header, pos)
        if element_id == ebml.SEGMENT:
            pos = body
            continue
        end = body + (size or 0)
        if element_id == ebml.TRACKS:
            entry_pos = body
            while entry_pos < end:
                _, entry_size, entry_body = ebml.element_header(header, entry_pos)
                entry_end = entry_body + (entry_size or 0)
                child = entry_body
                first = not numbers
                while child < entry_end:
                    child_id, child_size, child_body = ebml.element_header(header, child)
                    value = header[child_body : child_body + (child_size or 0)]
                    if child_id == _TRACK_NUMBER:
                        numbers.add(int.from_bytes(value, "big"))
                    elif child_id == _CODEC_ID and first:
                        codec_id = value.decode("ascii", "replace").rstrip("\x00")
                    elif child_id == _CODEC_PRIVATE and first:
                        codec_private = value
                    child = child_body + (child_size or 0)
                entry_pos = entry_end
        pos = end
    return TrackInfo(frozenset(numbers), codec_id, codec_private)


def cluster_blocks(cluster: bytes) -> tuple[int, int, set[int]]:
    """(cluster timecode, ms from its first to its last block, track numbers of its blocks)."""
    _, size, pos = ebml.element_header(cluster, 0)
    end, timecode, last, tracks = pos + (size or 0), 0, 0, set()
    while pos < end:
        element_id, child_size, body = ebml.element_header(cluster, pos)
        if element_id == ebml.TIMECODE:
            timecode = int.from_bytes(cluster[body : body + (child_size or 0)], "big")
        elif element_id == ebml.SIMPLE_BLOCK:
            track, after_track = ebml.read_vint(cluster, body)
            tracks.add(track or 0)
            last = max(last, int.from_bytes(cluster[after_track : after_track + 2], "big", signed=True))
        pos = body + (child_size or 0)
    return timecode, last, tracks


def mkv_to_mp4(mkv: bytes) -> bytes:
    """Remux a Matroska H.264 stream to MP4 without re-encoding, timestamps starting at zero.

    Matroska stores presentation times only, and FFmpeg's demuxer leaves the first decode times unset
    when frames are reordered (B-frames), which MP4 needs. Decode times are rebuilt from the sorted
    presentation times, held back by the stream's reordering depth so none comes after its frame's
    presentation time.
    """
    source: Any
    with av.open(io.BytesIO(mkv), format="matroska") as source:
        in_stream = source.streams.video[0]
        packets: list[Any] = [p for p in source.demux(in_stream) if p.pts is not None and p.size]
        presentation: list[int] = sorted(p.pts for p in packets)
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


class MkvReader:
    """Cuts a PutMedia body into its stream header and complete clusters as the bytes arrive.

    A producer may start a new Matroska stream (EBML header, Segment) in the same body; each cluster is
    stored with the header it came under.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._pos = 0
        self._header_start: int | None = None  # where the current EBML header begins in the buffer
        self.header = b""  # complete once the first cluster arrives
        self.tracks: TrackInfo | None = None

    def feed(self, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(header, cluster) for each cluster completed by `data`."""
        self._buffer += data
        while True:
            try:
                element_id, size, body = ebml.element_header(self._buffer, self._pos)
            except IndexError:
                return  # wait for more bytes
            except ValueError as exc:
                raise MkvError(4006, f"not Matroska: {exc}") from exc
            if element_id == ebml.EBML:
                self._header_start, self.header, self.tracks = self._pos, b"", None
            elif self._header_start is None:
                raise MkvError(4006, f"the body does not start with an EBML header (element {element_id:#x})")
            if element_id == ebml.SEGMENT:
                self._pos = body  # its children follow (unknown size while streaming)
                continue
            if size is None:
                raise MkvError(4006, f"element {element_id:#x} of unknown size inside the segment")
            if body + size > len(self._buffer):
                return
            if element_id == ebml.CLUSTER:
                if not self.header:
                    self.header = self._buffer[self._header_start : self._pos]
                    self.tracks = read_tracks(self.header)
                yield self.header, self._buffer[self._pos : body + size]
                # Keep nothing but the header: clusters already handed out are dropped.
                self._buffer, self._pos, self._header_start = self.header + self._buffer[body + size :], len(
                    self.header), 0
                continue
            self._pos = body + size


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a stopped push) is not an error worth a traceback here."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
        self.server = _QuietServer((host, port), self._handler_class())
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
                        _write_chunk(handler.wfile, {"EventType": event, "FragmentTimecode": fragment.producer_ms,
                                                     "FragmentNumber": fragment.number})
        except MkvError as err:
            _write_chunk(handler.wfile, {"EventType": "ERROR", "FragmentTimecode": previous,
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


def _write_chunk(wfile: Any, event: dict[str, Any]) -> None:
    data = json.dumps(event).encode()
    wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    wfile.flush()


def chunked_body(rfile: Any) -> Iterator[bytes]:
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
