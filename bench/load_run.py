"""Load run on the emulator: N uploads processed by W concurrent dispatchers, then every event replayed."""
from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from videoalert.app.commands import UploadedObject, parse_event
from videoalert.domain.types import TERMINAL_STATUSES


@dataclass
class LoadReport:
    clips: int
    workers: int
    wall_s: float
    latencies_ms: list[float]
    statuses: dict[str, int]
    decisions: dict[str, int]
    alerts_received: int
    duplicate_alerts: int
    records: int
    replay_new_records: int
    replay_new_alerts: int

    @property
    def throughput_clips_per_s(self) -> float:
        return self.clips / self.wall_s if self.wall_s else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0

    def summary(self) -> dict:
        return {
            "clips": self.clips,
            "workers": self.workers,
            "wall_s": round(self.wall_s, 2),
            "throughput_clips_per_s": round(self.throughput_clips_per_s, 2),
            "latency_ms": {
                "p50": round(statistics.median(self.latencies_ms), 1) if self.latencies_ms else 0.0,
                "p95": round(self.percentile_ms(0.95), 1),
                "max": round(max(self.latencies_ms or [0]), 1),
            },
            "statuses": self.statuses,
            "decisions": self.decisions,
            "records": self.records,
            "alerts_received": self.alerts_received,
            "duplicate_alerts": self.duplicate_alerts,
            "replay_new_records": self.replay_new_records,
            "replay_new_alerts": self.replay_new_alerts,
        }


def _receive_all(sqs, queue_url: str, expected: int, timeout_s: float = 60) -> list[dict]:
    events, deadline = [], time.monotonic() + timeout_s
    while len(events) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("Event") != "s3:TestEvent":
                events.append(body)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return events


def run_load(
    *,
    sess,
    endpoint_url,
    resources,
    queue_url: str,
    make_dependencies,
    videos: list[Path],
    clips: int,
    workers: int = 4,
    camera: str = "cam1",
) -> LoadReport:
    """make_dependencies() builds one dispatcher's dependencies: one per worker, as separate Lambda instances."""
    from videoalert.app import lifecycle as pipeline
    from videoalert.store.videos import VideoRecords
    from videoalert_local.emulator import drain_alerts

    s3 = sess.client("s3", endpoint_url=endpoint_url)
    for i in range(clips):
        video = videos[i % len(videos)]
        s3.upload_file(str(video), resources.video_bucket, f"uploads/{camera}/load-{i:04d}-{video.name}")
    events = _receive_all(sess.client("sqs", endpoint_url=endpoint_url), queue_url, clips)
    if len(events) != clips:
        raise RuntimeError(f"expected {clips} upload events, got {len(events)}")

    local = threading.local()
    latencies: list[float] = []
    lock = threading.Lock()

    def handle(event: dict) -> None:
        if not hasattr(local, "deps"):
            local.deps = make_dependencies()
        for command in parse_event(event):
            assert isinstance(command, UploadedObject)
            started = time.perf_counter()
            pipeline.process_upload(local.deps, command.bucket, command.key)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(handle, events))
    wall = time.perf_counter() - started

    table = sess.resource("dynamodb", endpoint_url=endpoint_url).Table(resources.videos_table)
    records_api = VideoRecords(table)
    first = [r.to_item() for r in records_api.all()]
    alerts = drain_alerts(sess, resources.alert_queue_url, endpoint_url=endpoint_url)

    # Every event delivered again, concurrently: nothing may change.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(handle, events))
    latencies[:] = latencies[:clips]
    second = [r.to_item() for r in records_api.all()]
    replay_alerts = drain_alerts(sess, resources.alert_queue_url, endpoint_url=endpoint_url)

    alerted_ids = [a["body"]["video_id"] for a in alerts + replay_alerts]
    def count(key: str) -> dict[str, int]:
        return {v: sum(1 for r in first if r.get(key) == v) for v in sorted({str(r.get(key)) for r in first})}

    return LoadReport(
        clips=clips,
        workers=workers,
        wall_s=wall,
        latencies_ms=latencies,
        statuses={k: v for k, v in count("status").items() if v},
        decisions={k: v for k, v in count("decision").items() if v},
        alerts_received=len(alerts),
        duplicate_alerts=len(alerted_ids) - len(set(alerted_ids)),
        records=len(first),
        replay_new_records=len(second) - len(first),
        replay_new_alerts=len(replay_alerts),
    )


def all_terminal(report: LoadReport) -> bool:
    return sum(report.statuses.get(s, 0) for s in TERMINAL_STATUSES) == report.records
