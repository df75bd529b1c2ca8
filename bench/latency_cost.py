"""Cost per camera-month of the minute design and of segments (issue 32), every service counted.

    python -m bench.latency_cost            # the table in docs/latency.md and bench/README.md
    python -m bench.latency_cost --segment-seconds 10

Prices: AWS list prices for us-east-1 as known on 2025-06 (no internet here: check them against the AWS pricing pages
before relying on a figure). Work per call: measured here where a figure exists (bench/README.md: 0.53 s per minute
clip, 122 ms per 5 s window at 1 fps in "Short clips"; about 1.5 s per worker job in "Scale"), estimated otherwise
(the worker's own seconds per segment turn, item sizes): each assumption is a named constant below.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

PRICES_AS_OF = "2025-06 (us-east-1 list prices, from memory: check them)"
LAMBDA_GB_S = 0.0000166667  # x86
LAMBDA_REQUEST = 0.20 / 1e6
SQS_STANDARD = 0.40 / 1e6  # per request (64 KB chunk)
SQS_FIFO = 0.50 / 1e6
DDB_WRU = 0.625 / 1e6  # on-demand, after the November 2024 reduction
DDB_RRU = 0.125 / 1e6
DDB_GB_MONTH = 0.25
S3_GB_MONTH = 0.023
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
KVS_INGEST_GB = 0.0085
KVS_STORE_GB_MONTH = 0.023
KVS_CONSUME_GB = 0.0085  # GetClip / GetMedia data consumed
SNS_PUBLISH = 0.50 / 1e6
SNS_EMAIL = 2.00 / 100_000
LOGS_GB = 0.50  # CloudWatch Logs ingestion

MINUTES = 30 * 24 * 60  # a 30-day month
BITRATE_MBIT = 1.0  # a 720p camera streaming all the time
KVS_RETENTION_H = 24  # the registry's default stream retention
CLIP_RETENTION_DAYS = 30  # the stack's video_retention_days
ALERTS_PER_DAY = 10
WORKER_GB = 0.5  # 512 MB
INFERENCE_GB = 3008 / 1024
MINUTE_INFERENCE_S = 0.53  # a 60 s clip, the shipped path (bench/README.md)
MINUTE_WORKER_S = 1.5  # a minute job: GetClip, S3, invoke and wait, DynamoDB, SNS (bench/README.md, Scale)
SEGMENT_INFERENCE_S = {2: 0.082, 3: 0.101, 5: 0.122, 10: 0.2}  # a 1 fps window (Short clips; 10 s interpolated)
SEGMENT_WORKER_OWN_S = 0.35  # ListFragments, GetItem x2, GetClip, S3 put + delete, 3 DynamoDB writes, SQS send
COMPLETE_WORKER_S = 0.8  # completing a minute: ListFragments, GetClip of the minute, S3 put, claim, finish
LOG_KB_PER_INVOCATION = 1.5
RECORD_KB = 8.0  # a decided minute: 60 frame scores with boxes, 4 embeddings, the rule, timings
CAMERA_ITEM_KB = 2.0


@dataclass
class Line:
    service: str
    what: str
    dollars: float


def minute_design() -> list[Line]:
    jobs = MINUTES
    gb = BITRATE_MBIT * 60 * MINUTES / 8 / 1000  # GB a month
    writes = jobs * (3 * CAMERA_ITEM_KB + 1 + 1 + RECORD_KB)  # lease, release, cursor; create, claim, finish
    reads = jobs * 4
    return [
        Line("Lambda worker", f"{jobs:,} jobs x {MINUTE_WORKER_S} s x {WORKER_GB} GB + requests",
             jobs * MINUTE_WORKER_S * WORKER_GB * LAMBDA_GB_S + jobs * LAMBDA_REQUEST),
        Line("Lambda inference", f"{jobs:,} x {MINUTE_INFERENCE_S} s x 2.94 GB + requests",
             jobs * MINUTE_INFERENCE_S * INFERENCE_GB * LAMBDA_GB_S + jobs * LAMBDA_REQUEST),
        Line("Lambda tick", "the dispatcher, per stack: 1/100 of ~6 s x 0.25 GB a minute (100 cameras)",
             MINUTES * 6 * 0.25 * LAMBDA_GB_S / 100 + MINUTES * LAMBDA_REQUEST / 100),
        Line("SQS", "FIFO jobs: 1/10 batch send + receive + delete", jobs * 2.1 * SQS_FIFO),
        Line("DynamoDB", f"{writes / 1e6:.2f} M WRU, {reads / 1e6:.2f} M RRU, 30 days of records",
             writes * DDB_WRU + reads * DDB_RRU + jobs * RECORD_KB / 1e6 * DDB_GB_MONTH),
        Line("S3", f"{jobs:,} clip PUTs + inference GETs; {gb:.0f} GB kept {CLIP_RETENTION_DAYS} days",
             jobs * (S3_PUT + S3_GET) + gb * S3_GB_MONTH * CLIP_RETENTION_DAYS / 30),
        Line("KVS", f"{gb:.0f} GB ingested, {KVS_RETENTION_H} h stored, every minute read once by GetClip",
             gb * KVS_INGEST_GB + gb * KVS_RETENTION_H / (30 * 24) * KVS_STORE_GB_MONTH + gb * KVS_CONSUME_GB),
        Line("SNS", f"{ALERTS_PER_DAY * 30} alerts, e-mailed", ALERTS_PER_DAY * 30 * (SNS_PUBLISH + SNS_EMAIL)),
        Line("CloudWatch Logs", f"{LOG_KB_PER_INVOCATION} KB per invocation",
             2 * jobs * LOG_KB_PER_INVOCATION / 1e6 * LOGS_GB),
    ]


def segment_design(period_s: int) -> list[Line]:
    turns = MINUTES * 60 // period_s
    jobs = MINUTES  # the tick's jobs stay (recovery, the chain's revival); completion runs in a turn
    gb = BITRATE_MBIT * 60 * MINUTES / 8 / 1000
    seg_inference = SEGMENT_INFERENCE_S.get(period_s, SEGMENT_INFERENCE_S[5] * period_s / 5)
    # a turn: lease with the turn + release (camera item), the segment appended (the record half-grown on average)
    turn_writes = 2 * CAMERA_ITEM_KB + RECORD_KB / 2
    minute_writes = 3 * CAMERA_ITEM_KB + 1 + 2 * RECORD_KB  # the tick's lease/release/cursor; create, claim, finish
    writes = turns * turn_writes + jobs * minute_writes
    reads = turns * 4 + jobs * 4
    worker_s = turns * (SEGMENT_WORKER_OWN_S + seg_inference + 0.03) + jobs * (COMPLETE_WORKER_S + 0.2)
    return [
        Line("Lambda worker", f"{turns:,} turns + {jobs:,} ticks, {worker_s / MINUTES:.1f} s a minute x 0.5 GB",
             worker_s * WORKER_GB * LAMBDA_GB_S + (turns + jobs) * LAMBDA_REQUEST),
        Line("Lambda inference", f"{turns:,} x {seg_inference} s (a {period_s} s window at 1 fps) x 2.94 GB",
             turns * seg_inference * INFERENCE_GB * LAMBDA_GB_S + turns * LAMBDA_REQUEST),
        Line("Lambda tick", "as before", MINUTES * 6 * 0.25 * LAMBDA_GB_S / 100 + MINUTES * LAMBDA_REQUEST / 100),
        Line("SQS", "standard segment queue: send + receive + delete a turn; FIFO ticks as before",
             turns * 3 * SQS_STANDARD + jobs * 2.1 * SQS_FIFO),
        Line("DynamoDB", f"{writes / 1e6:.2f} M WRU, {reads / 1e6:.2f} M RRU, 30 days of records",
             writes * DDB_WRU + reads * DDB_RRU + jobs * RECORD_KB / 1e6 * DDB_GB_MONTH),
        Line("S3", f"{turns:,} segment PUTs + GETs (deleted: free), {jobs:,} minute PUTs; {gb:.0f} GB kept",
             turns * (S3_PUT + S3_GET) + jobs * S3_PUT + gb * S3_GB_MONTH * CLIP_RETENTION_DAYS / 30),
        Line("KVS", "as before, and every second read twice (segments, then the minute's clip)",
             gb * KVS_INGEST_GB + gb * KVS_RETENTION_H / (30 * 24) * KVS_STORE_GB_MONTH + 2 * gb * KVS_CONSUME_GB),
        Line("SNS", "as before", ALERTS_PER_DAY * 30 * (SNS_PUBLISH + SNS_EMAIL)),
        Line("CloudWatch Logs", f"{LOG_KB_PER_INVOCATION} KB per invocation",
             (2 * turns + 2 * jobs) * LOG_KB_PER_INVOCATION / 1e6 * LOGS_GB),
    ]


def table(period_s: int) -> str:
    before, after = minute_design(), segment_design(period_s)
    rows = [f"| service | minute design (today) | segments every {period_s} s | what is counted (segments) |",
            "|---|---|---|---|"]
    for b, a in zip(before, after, strict=True):
        rows.append(f"| {b.service} | ${b.dollars:.3f} | ${a.dollars:.3f} | {a.what} |")
    total_b, total_a = sum(x.dollars for x in before), sum(x.dollars for x in after)
    rows.append(f"| **total** | **${total_b:.2f}** | **${total_a:.2f}** | x{total_a / total_b:.2f} |")
    without_storage = [x.dollars for x in before if x.service not in ("S3", "KVS")]
    rows.append(f"| (without S3 and KVS) | ${sum(without_storage):.2f} | "
                f"${sum(x.dollars for x in after if x.service not in ('S3', 'KVS')):.2f} | |")
    return "\n".join(rows) + f"\n\nPrices: {PRICES_AS_OF}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segment-seconds", type=int, default=5)
    args = parser.parse_args(argv)
    print(table(args.segment_seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
