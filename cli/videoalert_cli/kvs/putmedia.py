"""PutMedia client: streams Matroska with chunked transfer encoding and reads acknowledgements as they come."""
from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

from ..errors import UserError
from .acks import Ack, AckParser
from .fragments import Fragment
from .sigv4 import PUT_MEDIA_PATH, sign_put_media

# PutMedia accepts at most five fragments per second per stream; a file pushed faster than real time
# is held to that rate so the service does not throttle it.
MAX_FRAGMENTS_PER_SECOND = 5


class PutMediaError(UserError):
    """The service refused the request or acknowledged a fragment with an ERROR event."""

    def __init__(self, message: str, ack: Ack | None = None):
        super().__init__(message)
        self.ack = ack


def put_media_endpoint(kvs_client: Any, stream_name: str) -> str:
    """GetDataEndpoint(PUT_MEDIA), with the failures a user can fix turned into one clear message."""
    try:
        return str(kvs_client.get_data_endpoint(StreamName=stream_name, APIName="PUT_MEDIA")["DataEndpoint"])
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise UserError(
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            f"AWS_SECRET_ACCESS_KEY) before pushing ({exc})"
        ) from exc
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise UserError(
                f"Kinesis video stream {stream_name!r} does not exist "
                "(deploy the stack, or check the camera id and --region)"
            ) from exc
        raise UserError(f"GetDataEndpoint failed for {stream_name!r}: {code}: {exc}") from exc


@dataclass
class PutMediaResult:
    fragments_sent: int = 0
    acks: list[Ack] = field(default_factory=list)
    last_timecode_ms: int | None = None
    interrupted: bool = False  # the user stopped a live push (Ctrl-C); what was sent was still finished

    def count(self, event_type: str) -> int:
        return sum(1 for ack in self.acks if ack.event_type == event_type)

    @property
    def persisted(self) -> int:
        return self.count("PERSISTED")

    @property
    def errors(self) -> list[Ack]:
        return [ack for ack in self.acks if ack.event_type == "ERROR"]


class Pacer:
    """Waits before each fragment: at the source's own pace (--realtime) or at PutMedia's fragment rate limit."""

    def __init__(
        self,
        *,
        realtime: bool,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.realtime = realtime
        self._clock, self._sleep = clock, sleep
        self._started: float | None = None
        self._last: float | None = None

    def wait(self, fragment: Fragment) -> None:
        now = self._clock()
        if self._started is None:
            self._started = now
        if self.realtime:
            # A camera can send a fragment once its last frame has been captured.
            due = self._started + fragment.end_offset_ms / 1000
        else:
            due = now if self._last is None else self._last + 1 / MAX_FRAGMENTS_PER_SECOND
        if due > now:
            self._sleep(due - now)
        self._last = max(due, now)


def _error_from_response(response: http.client.HTTPResponse) -> PutMediaError:
    body = response.read(64 * 1024)
    error_type = (response.getheader("x-amzn-ErrorType") or response.getheader("x-amz-ErrorType") or "").split(":")[0]
    try:
        message = json.loads(body).get("message") or json.loads(body).get("Message") or body.decode()
    except (ValueError, AttributeError):
        message = body.decode("utf-8", "replace")
    return PutMediaError(
        f"PutMedia refused with HTTP {response.status} {error_type or response.reason}: {message}".strip()
    )


class _AckReader(threading.Thread):
    """Reads the response on its own thread while the main thread keeps writing the request body."""

    def __init__(self, connection: http.client.HTTPConnection):
        super().__init__(daemon=True, name="putmedia-acks")
        self._connection = connection
        self.events: queue.Queue[Ack | PutMediaError | None] = queue.Queue()  # Ack, PutMediaError, or None at the end
        self.stopping = threading.Event()  # set when the main thread closes the connection on purpose

    def run(self) -> None:
        try:
            response = self._connection.getresponse()
            if response.status != 200:
                self.events.put(_error_from_response(response))
                return
            parser = AckParser()
            while chunk := response.read1(64 * 1024):
                for ack in parser.feed(chunk):
                    self.events.put(ack)
        except (OSError, http.client.HTTPException, AttributeError, ValueError) as exc:
            # Closing the socket under a blocked read surfaces as any of these; only report real failures.
            if not self.stopping.is_set():
                self.events.put(PutMediaError(f"PutMedia connection failed: {exc!r}"))
        finally:
            self.events.put(None)


class PutMediaSession:
    """One PutMedia request: open, send header and fragments, finish; acknowledgements go to on_ack."""

    def __init__(
        self,
        *,
        endpoint: str,
        stream_name: str,
        credentials: Any,
        region: str,
        producer_start_ms: int,
        on_ack: Callable[[Ack], None] = lambda ack: None,
        timeout_s: float = 60.0,
    ):
        self.url = endpoint.rstrip("/") + PUT_MEDIA_PATH
        self.stream_name = stream_name
        self._credentials, self._region = credentials, region
        self.producer_start_ms = producer_start_ms
        self._on_ack = on_ack
        self._timeout_s = timeout_s
        self.result = PutMediaResult()
        self._failure: PutMediaError | None = None
        self._reader_done = False

    def _headers(self) -> dict[str, str]:
        start = self.producer_start_ms
        return sign_put_media(
            {
                "x-amzn-stream-name": self.stream_name,
                "x-amzn-fragment-timecode-type": "ABSOLUTE",
                "x-amzn-producer-start-timestamp": f"{start // 1000}.{start % 1000:03d}",
                "x-amzn-fragment-acknowledgment-required": "1",
            },
            url=self.url,
            credentials=self._credentials,
            region=self._region,
        )

    def open(self) -> None:
        parts = urlsplit(self.url)
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        if not parts.hostname:
            raise PutMediaError(f"the PutMedia endpoint {self.url!r} names no host")
        self._connection = connection_class(parts.hostname, parts.port, timeout=self._timeout_s)
        try:
            self._connection.putrequest("POST", parts.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self._headers().items():
                self._connection.putheader(name, value)
            self._connection.putheader("Transfer-Encoding", "chunked")
            self._connection.putheader("Connection", "keep-alive")
            self._connection.putheader("User-Agent", "videoalert-push")
            self._connection.endheaders()
        except OSError as exc:
            raise PutMediaError(f"cannot connect to the PutMedia endpoint {self.url}: {exc}") from exc
        # Keep our own handle: http.client drops conn.sock once a response that will close is read.
        self._socket = self._connection.sock
        self._reader = _AckReader(self._connection)
        self._reader.start()

    def _drain(self, block_s: float | None = None) -> None:
        while True:
            try:
                event = self._reader.events.get(timeout=block_s) if block_s else self._reader.events.get_nowait()
            except queue.Empty:
                return
            block_s = None
            if event is None:
                self._reader_done = True
            elif isinstance(event, PutMediaError):
                self._failure = self._failure or event
            else:
                self.result.acks.append(event)
                if event.event_type == "ERROR" and self._failure is None:
                    self._failure = PutMediaError(event.describe_error(), event)
                self._on_ack(event)

    def send(self, data: bytes) -> bool:
        """One HTTP chunk; False once the session has failed or the service closed the connection."""
        self._drain()
        if self._reader_done and self._failure is None:
            self._failure = PutMediaError("the PutMedia endpoint ended the session before all media was sent")
        if self._failure:
            return False
        try:
            self._socket.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            return True
        except OSError:
            self._drain(block_s=2.0)  # the service usually says why it hung up
            if self._failure is None:
                self._failure = PutMediaError("the PutMedia endpoint closed the connection while media was being sent")
            return False

    def send_fragment(self, fragment: Fragment) -> bool:
        sent = self.send(fragment.data)
        self.result.fragments_sent += sent
        return sent

    def finish(self) -> PutMediaResult:
        """End the body, wait for every sent fragment to be persisted (or an error, or the timeout)."""
        if not self._failure and not self._reader_done:
            with contextlib.suppress(OSError):
                self._socket.sendall(b"0\r\n\r\n")
        deadline = time.monotonic() + self._timeout_s
        while not self._reader_done and not self._failure and time.monotonic() < deadline:
            if self.result.persisted >= self.result.fragments_sent:
                break
            self._drain(block_s=0.2)
        # With every fragment persisted the service ends the response; give it a moment to do so.
        grace = time.monotonic() + 2.0
        while not self._reader_done and time.monotonic() < grace:
            self._drain(block_s=0.1)
        ended_by_service = self._reader_done  # after close() the reader ends anyway
        self.close()
        self._drain()
        missing = self.result.fragments_sent - self.result.persisted
        if ended_by_service and missing > 0 and self._failure is None:
            self._failure = PutMediaError(
                f"the PutMedia endpoint ended the session before all media was sent: {missing} of "
                f"{self.result.fragments_sent} fragments not persisted"
            )
        if self._failure:
            raise self._failure
        return self.result

    def close(self) -> None:
        self._reader.stopping.set()
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._connection.close()


def stream_fragments(
    open_session: Callable[[], PutMediaSession],
    header: bytes,
    fragments: Iterable[Fragment],
    pacer: Pacer,
    *,
    max_session_s: float = 40 * 60,
    clock: Callable[[], float] = time.monotonic,
) -> PutMediaResult:
    """Send the stream header then each fragment, stopping at the first failure.

    A camera stream never ends, but a PutMedia connection should not live for ever: AWS advises
    refreshing the data endpoint about every 45 minutes and the signature ages. So after
    `max_session_s` the session is finished and a new one (new endpoint lookup, new signature, new
    Matroska header) carries on; ABSOLUTE timecodes keep the fragments continuous across sessions.
    """
    total = PutMediaResult()
    remaining = iter(fragments)
    carried: list[Fragment] = []  # the fragment that was due when the previous session reached its age
    while True:
        session = open_session()
        session.open()
        opened, source_error = clock(), None
        try:
            if session.send(header):
                for fragment in itertools.chain(carried, remaining):
                    carried = []
                    if session.result.fragments_sent and clock() - opened >= max_session_s:
                        carried = [fragment]
                        break
                    pacer.wait(fragment)
                    if not session.send_fragment(fragment):
                        break
                    total.last_timecode_ms = fragment.timecode_ms
        except KeyboardInterrupt:
            # Stopping a camera push is normal: end the body cleanly and collect the last acks.
            total.interrupted, carried = True, []
        except Exception as exc:  # noqa: BLE001 - reported after the acks are collected, below
            # The source failed mid-stream (camera gone, unreadable frames): what was sent still counts.
            source_error, carried = exc, []
        try:
            session.finish()
        finally:
            total.fragments_sent += session.result.fragments_sent
            total.acks += session.result.acks
        if source_error is not None:
            raise source_error
        if not carried:
            return total
