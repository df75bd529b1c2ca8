"""The fan-out at scale on the emulator: N cameras, one clip per camera per minute, for a few minutes.

The real tick (app.fanout.fan_out) sends one job per camera to the per-camera FIFO queue on moto's server; W worker
threads stand in for the Lambda event source (receive one message, run app.camera_jobs.work, delete it on success),
each with its own clients, as separate Lambda instances have. Clips are a few bytes from a stub clip source and the
scorer is a stub (the model's time is measured in bench/clip_processing.py); everything else is the pipeline's
own code on the emulated services: S3 puts, conditional DynamoDB writes, leases, SQS, SNS.

Time: the clock the pipeline reads is simulated (a tick a minute without waiting a minute); latencies are real
seconds measured around the simulated settle lag, which they include as its configured value.
Then overlap: two ticks racing for one minute, a worker killed mid-clip, a camera slower than a minute.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.scale_stand_ins import (
    START,
    KilledWorker,
    Scenario,
    SimClock,
    StampedAlerts,
    StubClips,
    StubFragments,
    StubScorer,
    atomic_emulator,
    emulator_process,
)
from videoalert.app import camera_jobs, fanout
from videoalert.app.dependencies import Dependencies
from videoalert.aws.jobs import CameraJobQueue
from videoalert.aws.s3 import ClipStore
from videoalert.aws.sns import AlertPublisher
from videoalert.domain.ids import stream_video_id
from videoalert.domain.jobs import CameraJob
from videoalert.store.cameras import CameraStore
from videoalert.store.videos import VideoRecords
from videoalert_local import emulator

__all__ = ["ScaleReport", "main", "run_overlap", "run_scale"]


@dataclass
class ScaleReport:
    cameras: int
    minutes: int
    workers: int
    settle_s: int
    windows_expected: int = 0
    records: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    segments: bool = False  # each camera's stream scored in segments as its fragments settle (issue 32)
    early_alerts: int = 0  # alerts decided before their minute settled (segments)
    scored_more_than_once: int = 0  # apart from a killed worker's clip, scored again by the run that recovered it
    rescored_after_kill: int = 0
    lost: int = 0
    alerts: int = 0
    alert_events_expected: int = 0
    double_alerts: int = 0
    jobs_sent: int = 0  # accepted by SQS, duplicates included (SQS drops a duplicate deduplication id silently)
    jobs_enqueued: int = 0  # distinct messages the workers received: after SQS's deduplication
    jobs_expected: int = 0  # cameras x ticks
    worker_errors: list[str] = field(default_factory=list)
    fanout_s: list[float] = field(default_factory=list)  # per tick: list the cameras and send their jobs
    latency_s: list[float] = field(default_factory=list)  # per window: window end -> decision recorded
    alert_latency_s: list[float] = field(default_factory=list)  # per alert: window end -> SNS publish
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2) if ordered else 0.0

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.scored_more_than_once == 0 and self.double_alerts == 0
                and self.alerts == self.alert_events_expected and self.records == self.windows_expected
                and set(self.statuses) == {"DONE"} and self.jobs_enqueued == self.jobs_expected)

    def summary(self) -> dict[str, Any]:
        return {
            "cameras": self.cameras, "minutes": self.minutes, "workers": self.workers, "settle_s": self.settle_s,
            "windows_expected": self.windows_expected, "records": self.records, "statuses": self.statuses,
            "decisions": self.decisions, "segments": self.segments, "early_alerts": self.early_alerts,
            "scored_more_than_once": self.scored_more_than_once,
            "rescored_after_kill": self.rescored_after_kill, "lost": self.lost,
            "alerts": self.alerts, "alert_events_expected": self.alert_events_expected,
            "double_alerts": self.double_alerts, "jobs_sent": self.jobs_sent, "jobs_enqueued": self.jobs_enqueued,
            "jobs_expected": self.jobs_expected, "worker_errors": self.worker_errors[:5],
            "fanout_s": {"p50": self.pct(self.fanout_s, 0.5), "max": round(max(self.fanout_s or [0.0]), 2)},
            "window_latency_s": {"p50": self.pct(self.latency_s, 0.5), "p95": self.pct(self.latency_s, 0.95),
                                 "max": round(max(self.latency_s or [0.0]), 2)},
            "alert_latency_s": {"p50": self.pct(self.alert_latency_s, 0.5),
                                "p95": self.pct(self.alert_latency_s, 0.95)},
            "wall_s": round(self.wall_s, 1), "ok": self.ok, "notes": self.notes,
        }


class ScaleRun:
    """The emulator, the cameras, the tick and the worker pool of one run."""

    def __init__(self, endpoint: str, *, res: emulator.LocalResources, queue_url: str, camera_ids: tuple[str, ...],
                 scenario: Scenario, workers: int, clock: SimClock, lease_seconds: int = 360):
        self.endpoint, self.res, self.queue_url, self.camera_ids = endpoint, res, queue_url, camera_ids
        self.lease_seconds = lease_seconds
        self.scenario, self.workers, self.clock = scenario, workers, clock
        self.sess = emulator.session()
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.published: dict[str, list[float]] = {}  # video id -> wall time of each publish of its alert
        self.done_at: dict[str, float] = {}  # video id -> wall time its job finished
        self.tick_real: dict[datetime, float] = {}  # window end -> wall time its tick's jobs were sent
        self.received: set[str] = set()  # message ids the workers received (distinct: jobs after deduplication)
        self.errors: list[str] = []
        self.busy = 0  # worker threads inside a job (wait_idle waits for them too)
        self.fanouts: list[float] = []
        self.routers: list[Dependencies] = []  # the tick's instances (warm after the first tick, as in Lambda)
        self.scorer = StubScorer(scenario, self.calls, self.lock,
                                 s3=self.sess.client("s3", endpoint_url=endpoint) if scenario.segments else None)

    @classmethod
    def create(cls, endpoint: str, *, cameras: int, scenario: Scenario, workers: int,
               visibility_timeout_s: int = 330, lease_seconds: int = 360) -> ScaleRun:
        """The resources, the queue and the cameras, each camera on line from START (its cursor)."""
        sess = emulator.session()
        res = emulator.create_resources(sess, endpoint_url=endpoint, cameras=())
        queue_url = emulator.create_job_queue(sess, endpoint_url=endpoint, visibility_timeout_s=visibility_timeout_s)
        run = cls(endpoint, res=res, queue_url=queue_url, camera_ids=tuple(f"cam-{i:05d}" for i in range(cameras)),
                  scenario=scenario, workers=workers, clock=SimClock(START), lease_seconds=lease_seconds)
        store = CameraStore(sess.resource("dynamodb", endpoint_url=endpoint).Table(res.cameras_table))

        def register(camera_id: str) -> None:
            store.register(camera_id)
            store.advance_cursor(camera_id, None, START)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(register, run.camera_ids))
        return run

    def dependencies(self) -> Dependencies:
        """One instance's adapters (own boto3 clients: a Lambda instance has its own)."""
        ddb = self.sess.resource("dynamodb", endpoint_url=self.endpoint)
        client = lambda name: self.sess.client(name, endpoint_url=self.endpoint)  # noqa: E731
        settings = self.res.settings(inference_urls=False, lease_seconds=self.lease_seconds,
                                     segment_seconds=5 if self.scenario.segments else 0)
        return Dependencies(
            settings=settings,
            records=VideoRecords(ddb.Table(self.res.videos_table), clock=self.clock.now,
                                 lease=timedelta(seconds=settings.lease_seconds)),
            cameras=CameraStore(ddb.Table(self.res.cameras_table)),
            clips=ClipStore(client("s3"), self.res.video_bucket), inference=self.scorer,
            alerts=StampedAlerts(AlertPublisher(client("sns"), self.res.alert_topic_arn), self.published, self.lock),
            clip_source=(StubFragments(self.scenario, self.clock) if self.scenario.segments
                         else StubClips(self.scenario)),
            jobs=CameraJobQueue(client("sqs"), self.queue_url),
            clock=self.clock.now, sleep=self.clock.sleep)

    # ------------------------------------------------------------------------------------------ the tick
    def tick(self, minute_end: datetime, *, racing: int = 1) -> int:
        """EventBridge's tick for the minute that ends at minute_end (fired 2 s into the next minute): the real
        fan-out, `racing` times at once (duplicate deliveries of the schedule). Returns the jobs sent."""
        self.clock.set(minute_end + timedelta(seconds=2))
        while len(self.routers) < racing:
            self.routers.append(self.dependencies())
        router = self.routers[:racing]
        results: list[fanout.FanOut] = []
        with ThreadPoolExecutor(max_workers=racing) as pool:
            results = list(pool.map(lambda deps: fanout.fan_out(deps, minute_end), router))
        self.tick_real[minute_end] = time.time()
        self.fanouts.extend(r.send_s for r in results)
        return sum(r.sent for r in results)

    # ----------------------------------------------------------------------------------------- workers
    def _worker(self, stop: threading.Event) -> None:
        from botocore.exceptions import ClientError

        from videoalert.domain.types import Status

        deps = self.dependencies()
        sqs = self.sess.client("sqs", endpoint_url=self.endpoint)
        idle = 0.0
        while not stop.is_set():
            try:
                # No long polling: moto's waits inside the receive call, which holds the emulator's one-step lock.
                messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=1,
                                               WaitTimeSeconds=0).get("Messages", [])
            except ClientError:
                continue
            # An idle worker backs off (to 0.25 s): the emulator's receive is costly, and idle polling would take
            # the CPU from the workers that have jobs (the event source long-polls SQS instead).
            idle = min(0.25, idle * 2 or 0.01) if not messages else 0.0
            if idle:
                time.sleep(idle)
            for message in messages:
                with self.lock:
                    self.received.add(message["MessageId"])
                job = CameraJob.from_message(message["Body"])
                with self.lock:
                    self.busy += 1
                try:
                    holder = f"{message['MessageId']}/{threading.current_thread().name}"
                    outcomes = camera_jobs.work(deps, job, holder=holder)
                except KilledWorker:
                    continue  # the container is gone: its message stays in flight until its visibility ends
                except Exception as exc:  # noqa: BLE001 - as the Lambda event source: the message is redelivered
                    with self.lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                finally:
                    with self.lock:
                        self.busy -= 1
                finished = time.time()
                with self.lock:
                    for outcome in outcomes:
                        if outcome.video_id and outcome.status in (Status.DONE, Status.REJECTED):
                            self.done_at.setdefault(outcome.video_id, finished)
                # ClientError: redelivered meanwhile (its visibility ended) and deleted by the worker that took it
                with contextlib.suppress(ClientError):
                    sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    @contextmanager
    def worker_processes(self, processes: int) -> Iterator[None]:
        """The workers in `processes` processes (threads split between them): Lambda instances share no interpreter,
        and one process's GIL would make the emulated services' CPU cost the bottleneck."""
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        stop, results = context.Event(), context.Queue()
        per_process = max(1, self.workers // processes)
        children = [context.Process(target=_worker_process, daemon=True, args=(
            self.endpoint, self.res, self.queue_url, self.camera_ids, self.scenario, per_process, self.clock.value,
            stop, results)) for _ in range(processes)]
        for child in children:
            child.start()
        try:
            yield
        finally:
            stop.set()
            for _ in children:
                calls, done_at, published, received, errors = results.get(timeout=120)
                self.calls.update(calls)
                for video_id, at in done_at.items():
                    self.done_at[video_id] = min(at, self.done_at.get(video_id, at))
                for video_id, stamps in published.items():
                    self.published.setdefault(video_id, []).extend(stamps)
                self.received |= received
                self.errors += errors
            for child in children:
                child.join(timeout=30)

    @contextmanager
    def worker_pool(self) -> Iterator[None]:
        stop = threading.Event()
        threads = [threading.Thread(target=self._worker, args=(stop,), name=f"w{i}", daemon=True)
                   for i in range(self.workers)]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

    def wait_idle(self, timeout_s: float = 600) -> None:
        """Until the job queue is empty, nothing is in flight, and no worker thread is still inside a job. The last
        matters when a job outlives its message's visibility timeout (the slow camera): the redelivered copy is
        dropped (BUSY) and deleted while the first worker still scores, and the ticks after this wait move the
        clock past every lease, which would let a recovery take that live clip, a thing only this harness's clock
        jump can do (a real worker ends long before its 6-minute lease)."""
        sqs = self.sess.client("sqs", endpoint_url=self.endpoint)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            attrs = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            with self.lock:
                busy = self.busy
            if (attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
                    and busy == 0):
                return
            time.sleep(0.05)
        raise TimeoutError("the job queue did not drain")

    # ----------------------------------------------------------------------------------------- results
    def report(self, wall_s: float, jobs_sent: int) -> ScaleReport:
        settle = self.res.settings().settle_seconds
        report = ScaleReport(cameras=len(self.camera_ids), minutes=self.scenario.minutes, workers=self.workers,
                             settle_s=settle, jobs_sent=jobs_sent, fanout_s=self.fanouts, wall_s=wall_s)
        records = list(VideoRecords(self.sess.resource("dynamodb", endpoint_url=self.endpoint)
                                    .Table(self.res.videos_table)).all())
        expected = {stream_video_id(c, START + timedelta(minutes=m)): (c, m) for c in self.camera_ids
                    for m in range(self.scenario.minutes)}
        by_id = Counter(r.video_id for r in records)
        report.windows_expected, report.records = len(expected), len(records)
        report.lost = len(set(expected) - set(by_id))
        report.statuses = dict(Counter(str(r.status) for r in records))
        report.decisions = dict(Counter(str(r.decision) for r in records if r.decision))
        report.segments = self.scenario.segments
        report.early_alerts = sum(1 for r in records if r.early_alert_at)
        report.scored_more_than_once = sum(1 for v, n in self.calls.items() if n > 1 and v not in self._killed_ids())
        report.rescored_after_kill = sum(self.calls[v] - 1 for v in self._killed_ids())
        alerts = emulator.drain_alerts(self.sess, self.res.alert_queue_url, endpoint_url=self.endpoint)
        keys = Counter(a["attributes"].get("dedup_key") for a in alerts)
        per_camera = Counter(a["body"]["camera_id"] for a in alerts)
        report.alerts = len(alerts)
        report.double_alerts = sum(n - 1 for n in per_camera.values())  # one event per camera: at most one alert
        report.notes.append(f"alerts with a repeated dedup_key: {sum(n - 1 for n in keys.values())}")
        report.jobs_enqueued, report.worker_errors = len(self.received), list(self.errors)
        report.jobs_expected = len(self.camera_ids) * len(self.tick_real)
        report.alert_events_expected = sum(1 for c in self.camera_ids
                                           if any(self.scenario.has_person(c, START + timedelta(minutes=m))
                                                  for m in range(self.scenario.minutes)))
        for video_id, (_, m) in expected.items():
            end = START + timedelta(minutes=m + 1)
            if video_id in self.done_at and end in self.tick_real:
                report.latency_s.append(settle + self.done_at[video_id] - self.tick_real[end])
            for stamp in self.published.get(video_id, [])[:1]:
                if end in self.tick_real:
                    report.alert_latency_s.append(settle + stamp - self.tick_real[end])
        return report

    def _killed_ids(self) -> set[str]:
        # a killed worker's clip is scored again by the run that recovers it: that second scoring is by design
        return {v for v in self.calls if v.split("@")[0].rsplit("-", 1)[0] in self.scorer.killed}


def _worker_process(endpoint: str, res: emulator.LocalResources, queue_url: str, camera_ids: tuple[str, ...],
                    scenario: Scenario, threads: int, clock_value: Any, stop: Any, results: Any) -> None:
    """One worker process: `threads` workers until `stop`; then what they saw, to the parent."""
    emulator.use_dummy_credentials()
    run = ScaleRun(endpoint, res=res, queue_url=queue_url, camera_ids=camera_ids, scenario=scenario,
                   workers=threads, clock=SimClock(START, clock_value))
    with run.worker_pool():
        stop.wait()
    results.put((dict(run.calls), run.done_at, run.published, run.received, run.errors))


def run_scale(*, cameras: int, minutes: int, workers: int, endpoint: str, processes: int = 1,
              segments: bool = False, drain_timeout_s: float = 600) -> ScaleReport:
    """The main run: `minutes` ticks, each drained before the next (as 60 s apart they are)."""
    run = ScaleRun.create(endpoint, cameras=cameras, scenario=Scenario(minutes=minutes, segments=segments),
                          workers=workers)
    sent = 0
    started = time.time()
    with run.worker_pool() if processes <= 1 else run.worker_processes(processes):
        for m in range(minutes + 1):  # one more tick: the last minute is cut by the tick after it
            if m:
                sent += run.tick(START + timedelta(minutes=m))
                run.wait_idle(drain_timeout_s)
    return run.report(time.time() - started, sent)


def run_overlap(*, cameras: int, endpoint: str, workers: int = 8, lease_seconds: int = 360,
                segments: bool = False) -> ScaleReport:
    """Two ticks racing for each minute, one camera's worker killed mid-clip, one camera slower than a minute
    (its scoring takes longer than the real time between ticks here), ticks sent without waiting for the workers;
    then the ticks after the kill's leases expire, so recovery finishes its clip."""
    slow = "cam-00001"
    killed = "cam-00002"
    scenario = Scenario(minutes=3, slow={slow: 1.5}, kill_once={killed}, segments=segments)
    run = ScaleRun.create(endpoint, cameras=cameras, scenario=scenario, workers=workers, visibility_timeout_s=2,
                          lease_seconds=lease_seconds)
    sent = 0
    started = time.time()
    with run.worker_pool():
        for m in range(1, 4):
            sent += run.tick(START + timedelta(minutes=m), racing=2)
            time.sleep(0.5)  # the next minute's tick comes while the slow camera is still scoring
        run.wait_idle()
        lease = run.lease_seconds
        # Past the killed worker's camera and clip leases: the next ticks' recovery scores its clip again.
        for m in range(4, 6 + lease // 60 + 1):
            sent += run.tick(START + timedelta(minutes=m))
            run.wait_idle()
    report = run.report(time.time() - started, sent)
    report.notes += [f"two ticks raced for minutes 1-3: {sent} sends accepted by SQS, {report.jobs_enqueued} "
                     f"jobs delivered ({report.jobs_expected} expected: one per camera and tick)",
                     f"{killed}: worker killed mid-clip, recovered after its lease; {slow}: {scenario.slow[slow]} s "
                     f"per clip while ticks came every 0.5 s"]
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=32, help="worker threads (Lambda instances)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (the threads split among them)")
    parser.add_argument("--overlap-cameras", type=int, default=50, help="cameras of the overlap run (0: skip)")
    parser.add_argument("--drain-timeout", type=float, default=600,
                        help="seconds a tick's jobs may take to drain on the emulator (a loaded machine needs more)")
    parser.add_argument("--segments", action="store_true",
                        help="score each camera's stream in segments as its fragments settle (issue 32)")
    args = parser.parse_args(argv)
    emulator.use_dummy_credentials()
    results = {}
    with emulator_process() as endpoint:
        results["scale"] = run_scale(cameras=args.cameras, minutes=args.minutes, workers=args.workers,
                                     endpoint=endpoint, processes=args.processes, segments=args.segments,
                                     drain_timeout_s=args.drain_timeout).summary()
        print(json.dumps({"scale": results["scale"]}, indent=2), flush=True)
    if args.overlap_cameras:
        with atomic_emulator(), emulator.moto_server() as endpoint:
            results["overlap"] = run_overlap(cameras=args.overlap_cameras, endpoint=endpoint,
                                             segments=args.segments).summary()
            print(json.dumps({"overlap": results["overlap"]}, indent=2), flush=True)
    return 0 if all(r["ok"] for r in results.values()) else 1
