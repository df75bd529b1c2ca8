"""The scale run's stand-ins: a simulated clock, stub clips and scorer by scenario, alerts stamped as published,
and moto made one step per write (in this process, or in a process of its own)."""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from videoalert.aws.sns import AlertPublisher
from videoalert.domain.alert_message import AlertMessage
from videoalert_contract.inference import InferenceRequest, InferenceResponse, parse_response
from videoalert_local import emulator

START = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # the first simulated minute
PERSON_EVERY = 10  # every 10th camera has a person across two consecutive minutes (minutes 0 and 1)


class KilledWorker(BaseException):
    """A worker's container dies mid-clip (a BaseException: no handler in the pipeline runs, as for a kill)."""


class SimClock:
    """The pipeline's clock: moves only when the run says so; shared by the worker processes (a float in shared
    memory, seconds since the epoch)."""

    def __init__(self, start: datetime, value: Any = None):
        import multiprocessing

        self.value = value if value is not None else multiprocessing.get_context("spawn").Value("d", start.timestamp())

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.value.value, UTC)

    def set(self, when: datetime) -> None:
        with self.value.get_lock():
            self.value.value = max(self.value.value, when.timestamp())

    def sleep(self, seconds: float) -> None:
        with self.value.get_lock():
            self.value.value += seconds


@dataclass
class Scenario:
    """What the stub clip source and scorer do for which camera."""

    minutes: int
    person_every: int = PERSON_EVERY
    slow: dict[str, float] = field(default_factory=dict)  # camera -> real seconds each scoring takes
    kill_once: set[str] = field(default_factory=set)  # cameras whose first scoring kills its worker
    # Segments (issue 32): each camera's stream is 2 s fragments, scored as they settle; the person of a person camera
    # is there from second 2 of minute 1 to second 30 of minute 2 (an early alert in minute 1, then its cooldown).
    segments: bool = False

    def person_camera(self, camera: str) -> bool:
        return int(camera.rsplit("-", 1)[1]) % self.person_every == 0

    def person_at(self, camera: str, at: datetime) -> bool:
        """Segments: whether the person is in front of the camera at that moment."""
        return self.person_camera(camera) and START + timedelta(seconds=62) <= at < START + timedelta(seconds=150)

    def has_person(self, camera: str, window_start: datetime) -> bool:
        minute = round((window_start - START).total_seconds() / 60)
        return self.person_camera(camera) and minute in ((1, 2) if self.segments else (0, 1))


class StubClips:
    """A small clip for every minute of the run (no idle minutes), none after it."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    def fetch_clip(self, stream_name: str, start: datetime, end: datetime) -> list[bytes]:
        if not START <= start < START + timedelta(minutes=self.scenario.minutes):
            return []
        return [f"{stream_name}@{start.isoformat()}".encode().ljust(2048, b".")]


FRAGMENT_S = 2


class StubFragments(StubClips):
    """Segments: a 2 s fragment every 2 s of the run, listed once it has arrived by the simulated clock (its end and
    half a second); a clip of fragments is their timestamps, which the stub scorer reads back from S3."""

    def __init__(self, scenario: Scenario, clock: SimClock):
        super().__init__(scenario)
        self.clock = clock

    def list_fragments(self, stream_name: str, start: datetime, end: datetime) -> list[Any]:
        from videoalert.domain.segments import FragmentInfo

        now, found = self.clock.now(), []
        for k in range(self.scenario.minutes * 60 // FRAGMENT_S):
            at = START + timedelta(seconds=k * FRAGMENT_S)
            if start <= at < end and at + timedelta(seconds=FRAGMENT_S + 0.5) <= now:
                found.append(FragmentInfo(at, 2048))
        return found

    def fetch_fragments(self, stream_name: str, fragments: list[Any]) -> list[bytes]:
        stamps = ",".join(str(round(f.timestamp.timestamp() * 1000)) for f in fragments)
        return [f"fragments:{stamps}".encode().ljust(2048, b".")] if fragments else []


class StubScorer:
    """Scores like the inference function would answer: a person scores 0.95 from second 17 of the minute."""

    def __init__(self, scenario: Scenario, calls: Counter[str], lock: threading.Lock, s3: Any = None):
        self.scenario, self.calls, self.lock = scenario, calls, lock
        self.killed: set[str] = set()
        self.s3 = s3  # segments: reads a segment's clip (its fragments' timestamps) back, as the function reads S3

    def score(self, request: InferenceRequest) -> InferenceResponse:
        camera, stamp = request.video_id.rsplit("-", 1)
        start = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        fragments = self._fragments(request)
        with self.lock:
            # what was scored: a whole minute by its video id, a segment's fragments one by one (each once)
            for scored in [f"{request.video_id}@{ms}" for ms in fragments] or [request.video_id]:
                self.calls[scored] += 1
            kill = camera in self.scenario.kill_once and camera not in self.killed
            if kill:
                self.killed.add(camera)
        if camera in self.scenario.slow:
            time.sleep(self.scenario.slow[camera])
        if kill:
            raise KilledWorker(f"worker scoring {request.video_id} killed")
        if fragments:  # a segment: one frame a second of each fragment, t from its first fragment
            origin = fragments[0]
            times = [(ms - origin) / 1000 + s for ms in fragments for s in range(FRAGMENT_S)]
            at = [datetime.fromtimestamp(origin / 1000 + t, UTC) for t in times]
            scores = [0.95 if self.scenario.person_at(camera, a) else 0.05 for a in at]
        else:
            times = [float(t) for t in range(0, 60, 4)]
            if self.scenario.segments:
                scores = [0.95 if self.scenario.person_at(camera, start + timedelta(seconds=t)) else 0.05
                          for t in times]
            else:
                person = self.scenario.has_person(camera, start)
                scores = [0.95 if person and t >= 17 else 0.05 for t in times]
        return parse_response({
            "ok": True, "video_id": request.video_id, "model_version": "stub", "threshold": 0.5,
            "frames": [{"t": t, "score": s, "region": "full"} for t, s in zip(times, scores, strict=True)],
            "top_embeddings": [], "video": {"width": 64, "height": 48, "duration_s": 60.0},
            "timings_ms": {"total": 1.0}})


    def _fragments(self, request: InferenceRequest) -> list[int]:
        if self.s3 is None or not request.keys or ".seg" not in request.keys[0]:
            return []
        body = self.s3.get_object(Bucket=request.bucket, Key=request.keys[0])["Body"].read().decode()
        return [int(ms) for ms in body.removeprefix("fragments:").rstrip(".").split(",")]


class StampedAlerts:
    """The SNS publisher, noting the real time each alert of a video was published."""

    def __init__(self, publisher: AlertPublisher, published: dict[str, list[float]], lock: threading.Lock):
        self.publisher, self.published, self.lock = publisher, published, lock

    def publish(self, message: AlertMessage) -> str:
        message_id = self.publisher.publish(message)
        video_id = message.attributes["dedup_key"]["StringValue"]
        with self.lock:
            self.published.setdefault(video_id, []).append(time.time())
        return message_id


@contextmanager
def atomic_emulator() -> Iterator[None]:
    """moto's backends take no locks: make each DynamoDB write, query and scan and each SQS receive one step, as the
    services' are (a conditional write or a FIFO group's in-flight check must not interleave with another
    thread's; moto's query iterates the table and fails if a write lands meanwhile)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.sqs.models import SQSBackend

    lock = threading.RLock()
    # queries and scans too: moto iterates a table's items unlocked, so a write beside them can fail the request
    patched = [(DynamoDBBackend, "put_item"), (DynamoDBBackend, "update_item"), (DynamoDBBackend, "query"),
               (DynamoDBBackend, "scan"), (SQSBackend, "receive_message"), (SQSBackend, "delete_message")]
    originals = [getattr(cls, name) for cls, name in patched]
    for (cls, name), original in zip(patched, originals, strict=True):
        def one_step(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            with lock:
                return _original(*args, **kwargs)
        setattr(cls, name, one_step)
    try:
        yield
    finally:
        for (cls, name), original in zip(patched, originals, strict=True):
            setattr(cls, name, original)


def _serve_atomic(port: int, ready: Any, stop: Any) -> None:
    """moto's server in its own process, each DynamoDB write and SQS receive one step."""
    with atomic_emulator(), emulator.moto_server(port):
        ready.set()
        stop.wait()


@contextmanager
def emulator_process() -> Iterator[str]:
    """moto's server in a process of its own (its CPU apart from the workers'); yields the endpoint."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    port, ready, stop = emulator.free_port(), context.Event(), context.Event()
    server = context.Process(target=_serve_atomic, args=(port, ready, stop), daemon=True)
    server.start()
    if not ready.wait(120):
        raise RuntimeError("the emulator did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        server.join(timeout=30)
