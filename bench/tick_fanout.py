"""The minute tick's fan-out over N registered cameras on the emulator (issue 31): `python -m bench.tick_fanout
--cameras 10000 --rounds 3`. Figures and method in bench/README.md ("The tick over 10,000 registered cameras").

moto's server runs in a process of its own; the registry holds N cameras written as `camera add` writes them (rule,
stream ARN, registration: about 430 bytes an item). Each round runs, interleaved, the shipped tick
(app.fanout.fan_out: the registry's keys-only scan a page at a time on the emulator, each page's jobs sent by the
real CameraJobQueue, ten to a SendMessageBatch, 8 at once) and the baseline it replaced (the whole scan into one
list, then the jobs sent), each for a minute of its own. The SendMessageBatch calls go to a recording client that
checks each batch as SQS would (at most 10 entries, unique ids, a group and a deduplication id each, under 256 KB)
and keeps every job: moto's FIFO queue compares each new message with every message it holds (deduplication), so a
10,000-job tick does not finish on it in an hour (4,541 jobs in 32 minutes here). A separate check sends a smaller
tick to moto's real FIFO queue (--queue-cameras) and counts what it holds. It counts the scan pages and sends, the
distinct jobs, and the wall time; then prices a tick in AWS from the call counts (us-east-1 list prices).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.scale_stand_ins import emulator_process
from videoalert.app import fanout
from videoalert.app.dependencies import Dependencies
from videoalert.aws.jobs import CameraJobQueue
from videoalert.domain.ids import iso
from videoalert.domain.jobs import CameraJob, JobKind
from videoalert.domain.rule import Rule
from videoalert.store.dynamo_values import to_dynamo
from videoalert.wiring import build_dependencies
from videoalert_contract.names import stream_name
from videoalert_local import emulator

START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
# AWS list prices (us-east-1) the cost line uses; Lambda x86 per GB-s and per request, SQS FIFO per request (a
# SendMessageBatch of up to 10 messages under 256 KB is one request), DynamoDB on-demand per read request unit.
LAMBDA_GB_S = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1e6
SQS_FIFO_REQUEST = 0.50 / 1e6
DYNAMODB_RRU = 0.125 / 1e6
TICK_MEMORY_GB = 512 / 1024
# In-region call latencies the AWS estimate assumes (not measured here: no AWS account).
AWS_SCAN_PAGE_S = 0.030  # a 1 MB eventually consistent scan page
AWS_SEND_BATCH_S = 0.020  # one SendMessageBatch


def register(sess: Any, endpoint: str, table_name: str, cameras: int) -> float:
    """N registry items as app.cameras.add_camera writes them (BatchWriteItem: setup only); returns the mean item
    size in bytes."""
    table = sess.resource("dynamodb", endpoint_url=endpoint).Table(table_name)
    sizes = []
    with table.batch_writer() as batch:
        for i in range(cameras):
            camera_id = f"cam-{i:05d}"
            item = {"camera_id": camera_id, "rule": Rule().to_item(), "enabled": True, "registered_at": iso(START),
                    "stream_arn": f"arn:aws:kinesisvideo:us-east-1:000000000000:stream/{stream_name(camera_id)}/"
                                  f"1765090800000", "retention_hours": 24, "motion_triggered": False}
            sizes.append(len(json.dumps(item)))
            batch.put_item(Item=to_dynamo(item))
    return statistics.mean(sizes)


class Calls:
    """Counts the registry scans a tick makes, through botocore's after-call events."""

    def __init__(self, deps: Dependencies):
        self.counts: Counter[str] = Counter()
        table_client = deps.cameras.table.meta.client  # type: ignore[attr-defined]
        table_client.meta.events.register("after-call.dynamodb.Scan", self._count("Scan"))

    def _count(self, name: str) -> Any:
        def counted(**_: Any) -> None:
            self.counts[name] += 1
        return counted


class RecordingSqs:
    """SendMessageBatch as SQS checks it, keeping every job (thread-safe: CameraJobQueue sends 8 batches at once)."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.batches = 0
        self.jobs: set[str] = set()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        assert 1 <= len(Entries) <= 10 and len({e["Id"] for e in Entries}) == len(Entries)
        assert all(e["MessageGroupId"] and e["MessageDeduplicationId"] for e in Entries)
        assert sum(len(e["MessageBody"].encode()) for e in Entries) <= 256 * 1024
        with self.lock:
            self.batches += 1
            self.jobs.update(e["MessageDeduplicationId"] for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def baseline_tick(deps: Dependencies, now: datetime) -> int:
    """The tick before the registry: every id into one sorted list (the whole scan), then every job sent."""
    assert deps.jobs is not None
    ids = deps.cameras.camera_ids()
    return deps.jobs.send([CameraJob(JobKind.TICK, c, now) for c in ids])


def queued(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def run(cameras: int, rounds: int, queue_cameras: int = 0) -> dict[str, Any]:
    emulator.use_dummy_credentials()
    with emulator_process() as endpoint:
        sess = emulator.session()
        res = emulator.create_resources(sess, endpoint_url=endpoint, cameras=())
        queue_url = emulator.create_job_queue(sess, endpoint_url=endpoint)
        started = time.perf_counter()
        item_bytes = register(sess, endpoint, res.cameras_table, cameras)
        setup_s = time.perf_counter() - started
        deps = build_dependencies(res.settings(camera_jobs_queue_url=queue_url), session=sess, endpoint_url=endpoint,
                                  inference=object(), clip_source=object())  # type: ignore[arg-type]
        calls = Calls(deps)
        results: dict[str, list[dict[str, Any]]] = {"paged": [], "baseline": []}
        minute = 0
        for _ in range(rounds):
            for variant in ("paged", "baseline"):
                minute += 1
                # Past the settle lag of its minute: the tick sends at once (its wait is the settle lag, not work).
                now = START + timedelta(minutes=minute, seconds=30)
                sqs = RecordingSqs()
                tick_deps = replace(deps, clock=lambda now=now: now, sleep=lambda s: None,
                                    jobs=CameraJobQueue(sqs, queue_url))
                calls.counts.clear()
                began = time.perf_counter()
                if variant == "paged":
                    ticked = fanout.fan_out(tick_deps, now)
                    sent, pages = ticked.sent, ticked.pages
                else:
                    sent, pages = baseline_tick(tick_deps, now), None
                wall = time.perf_counter() - began
                results[variant].append({"wall_s": wall, "sent": sent, "queued": len(sqs.jobs),
                                         "scan_calls": calls.counts["Scan"], "pages": pages,
                                         "send_batches": sqs.batches})
        queue_check = emulator_queue(deps, sess, endpoint, queue_cameras) if queue_cameras else None
    return {**summarize(cameras, rounds, item_bytes, setup_s, results), "emulator_queue_check": queue_check}


def emulator_queue(deps: Dependencies, sess: Any, endpoint: str, cameras: int) -> dict[str, Any]:
    """One tick of the first `cameras` registered cameras to moto's FIFO queue (as the stack's): what it holds."""
    sqs = sess.client("sqs", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="tick-check.fifo", Attributes={
        "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})[
        "QueueUrl"]
    now = START + timedelta(hours=1, seconds=30)
    ids = [f"cam-{i:05d}" for i in range(cameras)]
    queue = CameraJobQueue(sqs, url)
    began = time.perf_counter()
    sent = queue.send([CameraJob(JobKind.TICK, c, now) for c in ids])
    again = queue.send([CameraJob(JobKind.TICK, c, now) for c in ids])  # the same tick delivered twice
    wall = time.perf_counter() - began
    return {"cameras": cameras, "sent": sent + again, "queued": queued(sqs, url), "wall_s": round(wall, 1)}


def summarize(cameras: int, rounds: int, item_bytes: float, setup_s: float,
              results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    paged, baseline = results["paged"], results["baseline"]
    wall = statistics.median(r["wall_s"] for r in paged)
    base_wall = statistics.median(r["wall_s"] for r in baseline)
    scans, batches = paged[0]["scan_calls"], paged[0]["send_batches"]
    # A tick in AWS: its billed time is the settle wait (up to 12 s when EventBridge fires on the minute's first
    # second; 0 when it fires late) plus the scan and the sends; here the work part from the call counts.
    aws_work_s = scans * AWS_SCAN_PAGE_S + batches / 8 * AWS_SEND_BATCH_S
    read_units = cameras * item_bytes / 4096 / 2  # eventually consistent: half a unit per 4 KB read

    def lambda_cost(seconds: float) -> float:
        return seconds * TICK_MEMORY_GB * LAMBDA_GB_S + LAMBDA_REQUEST

    return {
        "cameras": cameras, "rounds": rounds, "item_bytes": round(item_bytes), "setup_s": round(setup_s, 1),
        "pages": paged[0]["pages"], "scan_calls": scans, "send_batches": batches,
        "jobs_sent": [r["sent"] for r in paged], "jobs_queued": [r["queued"] for r in paged],
        "baseline_jobs_queued": [r["queued"] for r in baseline],
        "wall_s_median": round(wall, 2), "wall_s_runs": [round(r["wall_s"], 2) for r in paged],
        "baseline_wall_s_median": round(base_wall, 2),
        "baseline_wall_s_runs": [round(r["wall_s"], 2) for r in baseline],
        "paged_vs_baseline": round(wall / base_wall, 2),
        "aws_work_s_estimate": round(aws_work_s, 2),
        "cost_per_tick_usd": {
            "lambda_emulator_time": round(lambda_cost(wall), 6),
            "lambda_aws_estimate": round(lambda_cost(aws_work_s), 6),
            "lambda_aws_estimate_with_12s_settle_wait": round(lambda_cost(aws_work_s + 12), 6),
            "sqs": round(batches * SQS_FIFO_REQUEST, 6),
            "dynamodb_scan": round(read_units * DYNAMODB_RRU, 6),
        },
    }


def health(cameras: int) -> dict[str, Any]:
    """The fleet health check (app.cameras.fleet_health) over N registered cameras with no clip: every one could be
    offline, so every one costs its single-item query (the worst case); counts the calls and times the check."""
    from videoalert.app.cameras import fleet_health
    from videoalert.config.cameras import RegistrySettings
    from videoalert.wiring import build_registry

    emulator.use_dummy_credentials()
    with emulator_process() as endpoint:
        sess = emulator.session()
        res = emulator.create_resources(sess, endpoint_url=endpoint, cameras=())
        register(sess, endpoint, res.cameras_table, cameras)
        deps = build_registry(RegistrySettings(cameras_table=res.cameras_table, videos_table=res.videos_table),
                              session=sess, endpoint_url=endpoint, clock=lambda: START + timedelta(hours=1))
        counts: Counter[str] = Counter()
        client = deps.cameras.table.meta.client  # type: ignore[attr-defined]
        for call in ("Scan", "Query"):
            client.meta.events.register(f"after-call.dynamodb.{call}",
                                        lambda _call=call, **_: counts.update([_call]))
        began = time.perf_counter()
        checked = fleet_health(deps)
        wall = time.perf_counter() - began
    return {"cameras": cameras, "offline": len(checked.offline), "scan_calls": counts["Scan"],
            "queries": counts["Query"], "wall_s": round(wall, 1),
            "aws_estimate_s": round(counts["Scan"] * AWS_SCAN_PAGE_S + counts["Query"] * 0.008, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queue-cameras", type=int, default=500,
                        help="cameras of the check on moto's real FIFO queue (0: skip)")
    parser.add_argument("--health", action="store_true",
                        help="measure the fleet health check over the cameras instead of the tick")
    args = parser.parse_args(argv)
    if args.health:
        result = health(args.cameras)
        print(json.dumps(result, indent=2))
        return 0 if result["offline"] == args.cameras else 1
    summary = run(args.cameras, args.rounds, args.queue_cameras)
    print(json.dumps(summary, indent=2))
    complete = all(q == args.cameras for q in summary["jobs_queued"] + summary["baseline_jobs_queued"])
    check = summary["emulator_queue_check"]
    return 0 if complete and (check is None or check["queued"] == check["cameras"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
