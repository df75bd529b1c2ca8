"""Time to alert from a person's first frame, on the camera path, on the emulator (issue 32).

Real person videos (../shared/data/real/videos, labels.csv: person) are pushed at real time (`videoalert push
--realtime`'s code: PutMedia, 2 s fragments) into the local Kinesis Video Streams stand-in, one camera per push,
the pushes started a few seconds apart so their first frames fall at every second of the minute. The pipeline runs
as deployed, on the real clock: EventBridge's minute tick runs the real fan-out (app.fanout.fan_out, which waits for
the minute to settle) into the per-camera FIFO queue on moto's server; worker threads stand in for the worker
Lambda's SQS event source (receive, app.camera_jobs.work, delete); the real inference handler scores with the released
model; the alert goes to the real SNS topic, and a subscriber queue receives it.

Clock start: the person's first frame. Every real person video shows people from its first frame to its last
(crowd and street scenes: labels.csv, checked by eye), so the first frame is the producer timestamp of the video's
first frame: what a person at the door lives through. The offline pass (the whole file scored once, before the run)
says which videos the production rule alerts on at all and when its evidence is complete (the first moment min_frames
sampled frames reach the threshold): a video the rule never alerts on measures nothing and is left out (listed).

Reported: first frame -> SNS publish and -> the subscriber's receipt (p50, p95, max), and beside them the product's
old figure, the alerting window's end -> publish.

    nice -n 10 .venv/bin/python -m bench.time_to_alert --design minute --pushes 24
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for _path in (REPO / "lambdas", REPO / "inference_container", REPO / "cli"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

REAL_VIDEOS = Path(os.environ.get("VIDEOALERT_SHARED_DATA", REPO.parent / "shared" / "data")) / "real" / "videos"
RESULTS = REPO / "bench" / "results_time_to_alert.json"
PERSON = ("person", "both")


@dataclass
class Push:
    camera: str
    video: str
    first_frame: float  # wall time (epoch s) = producer timestamp of the video's first frame
    evidence_s: float | None  # offline pass: seconds from the first frame to the rule's evidence
    published: float | None = None
    received: float | None = None
    window_end: float | None = None  # the alerting record's window end (the old figure's origin)
    early: bool = False
    error: str | None = None
    scoring: tuple[float, float] | None = None  # the inference call whose result sent the alert (start, end)

    def row(self) -> dict[str, Any]:
        to_publish = None if self.published is None else round(self.published - self.first_frame, 2)
        to_receive = None if self.received is None else round(self.received - self.first_frame, 2)
        from_end = (None if self.published is None or self.window_end is None
                    else round(self.published - self.window_end, 2))
        return {"camera": self.camera, "video": self.video,
                "first_frame": datetime.fromtimestamp(self.first_frame, UTC).isoformat(timespec="milliseconds"),
                "second_of_minute": round(self.first_frame % 60, 1), "evidence_s": self.evidence_s,
                "first_frame_to_publish_s": to_publish, "first_frame_to_subscriber_s": to_receive,
                "window_end_to_publish_s": from_end, "early": self.early, "error": self.error,
                # the breakdown: first frame -> that scoring's start (fragment, cadence, queueing), its inference,
                # its end -> publish (records, gate, best frame, SNS)
                "to_scoring_s": None if self.scoring is None else round(self.scoring[0] - self.first_frame, 2),
                "inference_s": None if self.scoring is None else round(self.scoring[1] - self.scoring[0], 2),
                "after_scoring_s": (None if self.scoring is None or self.published is None
                                    else round(self.published - self.scoring[1], 2))}


@dataclass
class Stamps:
    """Wall times of what the pipeline did, noted by the stand-ins of SNS's caller and subscriber."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    published: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # camera -> (time, video id)
    received: dict[str, list[float]] = field(default_factory=dict)  # camera -> receipt times
    scored: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # camera -> inference (start, end)


class TimedInference:
    """The inference client, noting when each camera's requests started and ended (the breakdown of the latency)."""

    def __init__(self, inner: Any, stamps: Stamps):
        self.inner, self.stamps = inner, stamps

    def score(self, request: Any) -> Any:
        started = time.time()
        try:
            return self.inner.score(request)
        finally:
            camera = request.video_id.rsplit("-", 1)[0]
            with self.stamps.lock:
                self.stamps.scored.setdefault(camera, []).append((started, time.time()))


class StampedAlerts:
    """The real SNS publisher, noting when each camera's alert left."""

    def __init__(self, publisher: Any, stamps: Stamps):
        self.publisher, self.stamps = publisher, stamps

    def publish(self, message: Any) -> str:
        message_id: str = self.publisher.publish(message)
        at = time.time()
        camera = message.attributes["camera_id"]["StringValue"]
        video_id = message.attributes["dedup_key"]["StringValue"]
        with self.stamps.lock:
            self.stamps.published.setdefault(camera, []).append((at, video_id))
        return message_id


def pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2) if ordered else None


def stats(values: list[float]) -> dict[str, float | int | None]:
    return {"n": len(values), "p50": round(statistics.median(values), 2) if values else None,
            "p95": pct(values, 0.95), "max": round(max(values), 2) if values else None}


def person_videos() -> list[Path]:
    import csv

    with (REAL_VIDEOS / "labels.csv").open() as f:
        return [REAL_VIDEOS / row["file"] for row in csv.DictReader(f) if row["label"] in PERSON]


class Bench:
    """The emulators, the cameras, the schedule and the workers of one run."""

    def __init__(self, *, design: str, workers: int, seed: int, segment_seconds: int = 5):
        self.design, self.workers_n, self.segment_seconds = design, workers, segment_seconds
        self.random = random.Random(seed)
        self.stamps = Stamps()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.threads: list[threading.Thread] = []

    @contextlib.contextmanager
    def emulators(self) -> Iterator[None]:
        from bench.scale_stand_ins import atomic_emulator
        from videoalert_local import emulator as local_env
        from videoalert_local.kvs import LocalKvsEndpoint

        local_env.use_dummy_credentials()
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("MODEL_DIR", str(REPO / "models"))
        credentials = local_env.session().get_credentials().get_frozen_credentials()
        with local_env.moto_server() as endpoint, atomic_emulator(), \
                LocalKvsEndpoint(credentials=credentials, region=local_env.REGION) as kvs:
            os.environ["AWS_ENDPOINT_URL"] = endpoint  # the inference handler's own S3 client
            self.endpoint, self.kvs_url = endpoint, kvs.url
            self.sess = local_env.session()
            self.res = local_env.create_resources(self.sess, endpoint_url=endpoint, cameras=())
            self.queue_url = local_env.create_job_queue(self.sess, endpoint_url=endpoint)
            # The segment chain's queue (infra: a standard queue, per-message DelaySeconds), polled by the same workers.
            self.segment_queue_url = (self.sess.client("sqs", endpoint_url=endpoint).create_queue(
                QueueName="videoalert-segment-jobs", Attributes={"VisibilityTimeout": "330"})["QueueUrl"]
                if self.design == "segments" else None)
            from videoalert.aws.inference import InProcessInferenceClient
            from videoalert_inference import handler as inference

            inference.reset_runtime()
            self.inference = TimedInference(InProcessInferenceClient(inference.handler), self.stamps)
            try:
                yield
            finally:
                self.stop.set()
                for thread in self.threads:
                    thread.join(timeout=120)

    def dependencies(self) -> Any:
        """One Lambda instance's adapters (its own boto3 clients), with the production settings."""
        from videoalert.aws.kvs import KvsClipSource
        from videoalert.wiring import build_dependencies

        segments = {"segment_seconds": self.segment_seconds, "segment_queue_url": self.segment_queue_url} \
            if self.design == "segments" else {}
        settings = self.res.settings(camera_jobs_queue_url=self.queue_url, **segments)
        deps = build_dependencies(settings, session=self.sess, endpoint_url=self.endpoint, inference=self.inference,
                                  clip_source=KvsClipSource(self.sess.client("kinesisvideo",
                                                                             endpoint_url=self.kvs_url)))
        deps.alerts = StampedAlerts(deps.alerts, self.stamps)
        return deps

    def register(self, cameras: list[str]) -> None:
        from videoalert.app.cameras import seed_cameras
        from videoalert.config.cameras import RegistrySettings
        from videoalert.wiring import build_registry

        settings = RegistrySettings(cameras_table=self.res.cameras_table, videos_table=self.res.videos_table,
                                    stage="local")
        seed_cameras(build_registry(settings, session=self.sess, endpoint_url=self.endpoint,
                                    kvs_endpoint_url=self.kvs_url), cameras)

    # --- offline pass ---------------------------------------------------------------------------------
    def offline(self, videos: list[Path]) -> dict[str, dict[str, Any]]:
        """Each video scored whole once, as an upload would be: when the production rule's evidence is complete."""
        from videoalert.domain.rule import Rule, decide_frames
        from videoalert.domain.types import Decision
        from videoalert_contract.inference import InferenceRequest, ScoredClip

        s3 = self.sess.client("s3", endpoint_url=self.endpoint)
        rule, found = Rule(), {}
        for video in videos:
            key = f"bench/{video.name}"
            s3.upload_file(str(video), self.res.video_bucket, key)
            result = self.inference.score(InferenceRequest(video_id=f"offline-{video.stem}",
                                                           bucket=self.res.video_bucket, keys=(key,),
                                                           sample_fps=1.0, regions=rule.regions))
            if not isinstance(result, ScoredClip):
                found[video.name] = {"alerts": False, "why": str(result)}
                continue
            frames = sorted(result.frames, key=lambda f: f.t)
            evidence = next((t for t in sorted({f.t for f in frames})
                             if decide_frames([f for f in frames if f.t <= t], rule, result.threshold).decision
                             == Decision.ALERT), None)
            verdict = decide_frames(frames, rule, result.threshold)
            found[video.name] = {"alerts": verdict.decision == Decision.ALERT, "evidence_s": evidence,
                                 "first_over_s": next((f.t for f in frames if f.score >= result.threshold), None),
                                 "max_score": round(verdict.max_score, 3), "threshold": result.threshold,
                                 "duration_s": (result.video or {}).get("duration_s")}
        return found

    def start_chains(self, cameras: list[str]) -> None:
        from videoalert.app import segment_chain

        deps = self.dependencies()
        for camera_id in cameras:
            camera = deps.cameras.get(camera_id)
            if camera is not None:
                segment_chain.revive_chain(deps, camera)

    # --- the deployed schedule ------------------------------------------------------------------------
    def start_schedule(self) -> None:
        """EventBridge's rate(1 minute) rule: the tick fires at each minute's start; the fan-out waits for the
        minute to settle (settle_seconds) and enqueues one job per camera."""
        from videoalert.app import fanout

        def ticks() -> None:
            deps = self.dependencies()
            while not self.stop.is_set():
                now = time.time()
                nxt = (int(now) // 60 + 1) * 60
                if self.stop.wait(nxt - now):
                    return
                try:
                    fanout.fan_out(deps, datetime.fromtimestamp(nxt, UTC))
                except Exception as exc:  # noqa: BLE001 - counted and shown; the next tick goes on
                    self.errors.append(f"tick: {type(exc).__name__}: {exc}")

        started = [threading.Thread(target=ticks, name="tick", daemon=True)]
        started += [threading.Thread(target=self._worker, name=f"worker-{n}", daemon=True)
                    for n in range(self.workers_n)]
        for thread in started:
            thread.start()
        self.threads += started

    def _worker(self) -> None:
        from botocore.exceptions import ClientError

        from videoalert.app import camera_jobs
        from videoalert.domain.jobs import CameraJob

        deps = self.dependencies()
        sqs = self.sess.client("sqs", endpoint_url=self.endpoint)
        queues = [q for q in (self.queue_url, self.segment_queue_url) if q]
        turn = 0
        while not self.stop.is_set():
            queue = queues[turn % len(queues)]
            turn += 1
            try:
                # No long polling: moto's wait would hold the emulator's one-step lock (scale_run.atomic_emulator).
                messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1,
                                               WaitTimeSeconds=0).get("Messages", [])
            except ClientError:
                continue
            if not messages:
                time.sleep(0.1 / len(queues))  # the event source long-polls: a message waits at most this long here
                continue
            for message in messages:
                job = CameraJob.from_message(message["Body"])
                try:
                    camera_jobs.work(deps, job, holder=f"{message['MessageId']}/{threading.current_thread().name}")
                except Exception as exc:  # noqa: BLE001 - as the event source: counted, the message comes back
                    self.errors.append(f"work: {type(exc).__name__}: {exc}")
                    continue
                with contextlib.suppress(ClientError):
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def start_subscriber(self) -> None:
        """A subscriber of the alert topic (an SQS queue), noting when each camera's alert arrives."""

        def receive() -> None:
            sqs = self.sess.client("sqs", endpoint_url=self.endpoint)
            while not self.stop.is_set():
                batch = sqs.receive_message(QueueUrl=self.res.alert_queue_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0, MessageAttributeNames=["All"]).get("Messages", [])
                at = time.time()
                if not batch:
                    time.sleep(0.1)
                for message in batch:
                    envelope = json.loads(message["Body"])
                    camera = (envelope.get("MessageAttributes", {}).get("camera_id") or {}).get("Value", "")
                    with self.stamps.lock:
                        self.stamps.received.setdefault(camera, []).append(at)
                    sqs.delete_message(QueueUrl=self.res.alert_queue_url, ReceiptHandle=message["ReceiptHandle"])

        thread = threading.Thread(target=receive, name="subscriber", daemon=True)
        self.threads.append(thread)
        thread.start()

    # --- pushes ---------------------------------------------------------------------------------------
    def push(self, item: Push, video: Path) -> None:
        from videoalert_cli.kvs.producer import push_source
        from videoalert_contract.names import stream_name
        from videoalert_local import emulator as local_env

        kvs = self.sess.client("kinesisvideo", endpoint_url=self.kvs_url)
        try:
            push_source(str(video), stream=stream_name(item.camera), kvs_client=kvs,
                        credentials=self.sess.get_credentials(), region=local_env.REGION,
                        start_ms=round(item.first_frame * 1000), realtime=True)
        except Exception as exc:  # noqa: BLE001 - that push's failure is reported with it
            item.error = f"push: {type(exc).__name__}: {exc}"

    def collect(self, pushes: list[Push]) -> None:
        from videoalert.store.videos import VideoRecords

        records = VideoRecords(self.sess.resource("dynamodb", endpoint_url=self.endpoint)
                               .Table(self.res.videos_table))
        for item in pushes:
            with self.stamps.lock:
                published = [p for p in self.stamps.published.get(item.camera, []) if p[0] >= item.first_frame]
                received = [r for r in self.stamps.received.get(item.camera, []) if r >= item.first_frame]
            if published:
                item.published, video_id = min(published)
                record = records.get(video_id)
                if record is not None:
                    item.window_end = record.window_end.timestamp()
                    item.early = bool(getattr(record, "early_alert_at", None))
            if received:
                item.received = min(received)
            if item.published is not None:
                with self.stamps.lock:
                    before = [c for c in self.stamps.scored.get(item.camera, []) if c[1] <= item.published]
                item.scoring = max(before, default=None)


def run(args: argparse.Namespace) -> dict[str, Any]:
    videos = [v for v in person_videos() if not args.only or v.name in args.only]
    bench = Bench(design=args.design, workers=args.workers, seed=args.seed, segment_seconds=args.segment_seconds)
    cameras = [f"tta{n:02d}" for n in range(args.pushes)]
    load_before = os.getloadavg()
    with bench.emulators():
        offline = bench.offline(videos)
        usable = [v for v in videos if offline[v.name]["alerts"]]
        print(json.dumps({"offline": offline}, indent=1), flush=True)
        bench.register(cameras)
        if args.design == "segments":  # the first tick after the deploy starts every camera's chain
            bench.start_chains(cameras)
        bench.start_subscriber()
        bench.start_schedule()
        # First frames a spacing apart, with jitter: they land at every second of the minute.
        start = time.time() + 3
        pushes, pushers = [], []
        for n, camera in enumerate(cameras):
            video = usable[n % len(usable)]
            at = start + n * args.spacing + bench.random.uniform(0, args.spacing / 2)
            item = Push(camera, video.name, at, offline[video.name]["evidence_s"])
            pushes.append(item)
            thread = threading.Thread(target=lambda i=item, v=video: (time.sleep(max(0.0, i.first_frame - time.time())),
                                                                      bench.push(i, v)), daemon=True)
            pushers.append(thread)
            thread.start()
        for thread in pushers:
            thread.join()
        deadline = time.time() + args.wait
        while time.time() < deadline:
            bench.collect(pushes)
            if all(p.received is not None or p.error for p in pushes):
                break
            time.sleep(1.0)
        bench.collect(pushes)
    load_after = os.getloadavg()
    to_publish = [p.published - p.first_frame for p in pushes if p.published is not None]
    to_receive = [p.received - p.first_frame for p in pushes if p.received is not None]
    from_end = [p.published - p.window_end for p in pushes if p.published is not None and p.window_end is not None]
    rows = [p.row() for p in pushes]

    def breakdown(key: str) -> dict[str, float | int | None]:
        return stats([r[key] for r in rows if r[key] is not None])

    report = {
        "design": args.design, "date": datetime.now(UTC).isoformat(timespec="seconds"), "pushes": len(pushes),
        "alerted": len(to_publish), "missed": [p.row() for p in pushes if p.published is None],
        "first_frame_to_publish_s": stats(to_publish), "first_frame_to_subscriber_s": stats(to_receive),
        "window_end_to_publish_s": stats(from_end), "workers": args.workers, "spacing_s": args.spacing,
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "segment_seconds": args.segment_seconds if args.design == "segments" else None,
        "early_alerts": sum(p.early for p in pushes), "errors": bench.errors[:10],
        "breakdown_s": {k: breakdown(k) for k in ("to_scoring_s", "inference_s", "after_scoring_s")},
        "offline": offline, "rows": rows,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--design", choices=["minute", "segments"], default="minute")
    parser.add_argument("--pushes", type=int, default=24, help="pushes, one camera each (default 24)")
    parser.add_argument("--spacing", type=float, default=7.0, help="seconds between first frames (default 7)")
    parser.add_argument("--workers", type=int, default=4, help="worker threads (Lambda instances; default 4)")
    parser.add_argument("--wait", type=float, default=150.0, help="seconds to wait for alerts after the last push")
    parser.add_argument("--seed", type=int, default=32)
    parser.add_argument("--segment-seconds", type=int, default=5, help="segments: the chain's period (default 5)")
    parser.add_argument("--only", nargs="*", help="only these video files")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON results (default {RESULTS.name}, by design)")
    args = parser.parse_args(argv)
    report = run(args)
    out = args.out or RESULTS.with_name(f"results_time_to_alert_{args.design}.json")
    out.write_text(json.dumps(report, indent=1) + "\n")
    keys = ("design", "segment_seconds", "pushes", "alerted", "early_alerts", "first_frame_to_publish_s",
            "first_frame_to_subscriber_s", "window_end_to_publish_s", "breakdown_s", "loadavg_before", "loadavg_after",
            "errors")
    summary = {k: report[k] for k in keys}
    print(json.dumps(summary, indent=1))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
