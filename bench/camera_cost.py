"""Cost per camera-month, every service counted, for a 640x480 and a 1080p camera (the 1080p one also scored from a
640x360 sub-stream), before and after issue 34 (CPU per clip, the inference function's size, arm64 zip functions),
in the shipped design: each camera's stream scored in 5 s segments, each minute completed and kept (issue 32).

    python -m bench.camera_cost            # the table in docs/cost.md

Prices and the shared assumptions (a 30-day month, every second scored, 24 h KVS retention, 30-day clips, 10 alerts a
day, per-turn work) are bench/latency_cost.py's: us-east-1 list prices from memory (no internet here: check them).
Inference per 5 s window = a fixed part (download, opening the clip: latency_cost's 0.122 s a window less 5/60 of
its 0.53 s minute) + this repository's measured CPU seconds per 60 s clip of the default path / 12, at the function's
vCPU share (bench/README.md, "CPU per clip" and "Right-size"). Everything else is an estimate named below.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import latency_cost as p

ARM_GB_S = 0.0000133334  # Lambda arm64, us-east-1, from memory like the others
SECRET_MONTH, SECRET_CALLS = 0.40, 0.05 / 10_000
KMS_KEY_MONTH, KMS_CALLS = 1.00, 0.03 / 10_000
METRIC_MONTH = 0.30
CAMERAS_PER_STACK = 100  # fixed costs of a deployment (tick, keys, secrets) shared by this many cameras
KEYS, SECRETS = 3, 2  # customer-managed KMS keys (KVS media, alert and ops topics); link-signing and VAPID secrets
BITRATE_MBIT = {"640x480": 1.0, "1080p": 4.0, "640x360 sub-stream": 0.5}  # typical H.264 camera settings
PERIOD_S = 5
WINDOW_FIXED_S = p.SEGMENT_INFERENCE_S[PERIOD_S] - p.MINUTE_INFERENCE_S * PERIOD_S / 60
# CPU seconds per 60 s clip of the default path (regions "detect"): `python -m bench.cpu_per_clip` (before: the
# sampler as it was, two decoders and the pipeline) and `python -m bench.lambda_sizes` (after: at 1,769 MB, the
# sequential path), on the camera-shaped clips (bench/README.md). The sub-stream: the 1080p figure divided by
# bench/substream.py's ratio over the 7 real videos (main / sub-stream CPU through the handler's path, picture
# included): x2.47 before the decoding levers (wt-substream's run), x2.08 after (re-run 22:46-22:54 UTC).
SUBSTREAM_RATIO = {"before": 2.47, "after": 2.08}
CPU_S = {"before": {"640x480": 0.92, "1080p": 5.23}, "after": {"640x480": 0.85, "1080p": 3.30}}
for _when, _ratio in SUBSTREAM_RATIO.items():
    CPU_S[_when]["640x360 sub-stream"] = CPU_S[_when]["1080p"] / _ratio
SIZE = {"before": (3008, "x86_64", 1.70), "after": (1769, "x86_64", 1.0)}  # MB, architecture, vCPU share
ZIP_ARCH = {"before": "x86_64", "after": "arm64"}


@dataclass
class Line:
    service: str
    dollars: float


def _gb_s(arch: str) -> float:
    return ARM_GB_S if arch == "arm64" else p.LAMBDA_GB_S


def camera_month(camera: str, when: str, substream: bool = False) -> list[Line]:
    """One camera's month. substream: the segments score the 640x360 stream; the minute keeps the main one's clip."""
    turns, jobs, alerts = p.MINUTES * 60 // PERIOD_S, p.MINUTES, p.ALERTS_PER_DAY * 30
    main_gb = BITRATE_MBIT[camera] * 60 * jobs / 8 / 1000
    sub_gb = BITRATE_MBIT["640x360 sub-stream"] * 60 * jobs / 8 / 1000 if substream else 0.0
    scored = "640x360 sub-stream" if substream else camera
    mb, arch, share = SIZE[when]
    window_s = WINDOW_FIXED_S + CPU_S[when][scored] * PERIOD_S / 60 / share
    worker_s = turns * (p.SEGMENT_WORKER_OWN_S + window_s + 0.03) + jobs * (p.COMPLETE_WORKER_S + 0.2)
    writes = turns * (2 * p.CAMERA_ITEM_KB + p.RECORD_KB / 2) + jobs * (3 * p.CAMERA_ITEM_KB + 1 + 2 * p.RECORD_KB)
    ingested = main_gb + sub_gb
    zip_gb_s = _gb_s(ZIP_ARCH[when])
    return [
        Line("Lambda inference", turns * (window_s * mb / 1024 * _gb_s(arch) + p.LAMBDA_REQUEST)),
        Line("Lambda camera worker", worker_s * p.WORKER_GB * zip_gb_s + (turns + jobs) * p.LAMBDA_REQUEST),
        Line("Lambda tick, deliveries, links", (jobs * 6 * 0.5 / CAMERAS_PER_STACK + alerts * 2 * 0.5 * 0.25)
             * zip_gb_s + (jobs / CAMERAS_PER_STACK + 2 * alerts) * p.LAMBDA_REQUEST),
        Line("SQS", turns * 3 * p.SQS_STANDARD + jobs * 2.1 * p.SQS_FIFO + alerts * 3 * p.SQS_STANDARD),
        Line("DynamoDB", writes * p.DDB_WRU + (turns + jobs) * 4 * p.DDB_RRU
             + jobs * p.RECORD_KB / 1e6 * p.DDB_GB_MONTH),
        Line("S3", turns * (p.S3_PUT + p.S3_GET) + jobs * p.S3_PUT
             + main_gb * p.S3_GB_MONTH * p.CLIP_RETENTION_DAYS / 30),
        # every second read twice (its segment, then the minute's clip); with a sub-stream the segments read it
        Line("KVS", ingested * p.KVS_INGEST_GB + ingested * p.KVS_RETENTION_H / (30 * 24) * p.KVS_STORE_GB_MONTH
             + (main_gb + (sub_gb if substream else main_gb)) * p.KVS_CONSUME_GB),
        Line("SNS", alerts * (p.SNS_PUBLISH + p.SNS_EMAIL)),
        Line("CloudWatch logs and metrics", (2 * turns + 2 * jobs) * p.LOG_KB_PER_INVOCATION / 1e6 * p.LOGS_GB
             + 2 * METRIC_MONTH),
        Line("Secrets Manager", SECRETS * SECRET_MONTH / CAMERAS_PER_STACK + alerts * SECRET_CALLS),
        Line("KMS", KEYS * KMS_KEY_MONTH / CAMERAS_PER_STACK + (jobs / 5 + 2 * alerts) * KMS_CALLS),
    ]


CASES = (("640x480", False), ("1080p", False), ("1080p", True))


def table() -> str:
    names = [f"{c}{' + sub-stream' if s else ''}" for c, s in CASES]
    header = ["| service | " + " | ".join(f"{n} before | {n} after" for n in names) + " |",
              "|---|" + "---|" * (2 * len(CASES))]
    months = {(c, s, w): camera_month(c, w, s) for c, s in CASES for w in ("before", "after")}
    rows = []
    for i, line in enumerate(months[CASES[0] + ("before",)]):
        cells = [f"{months[(c, s, w)][i].dollars:.2f}" for c, s in CASES for w in ("before", "after")]
        rows.append(f"| {line.service} | " + " | ".join(cells) + " |")
    totals = [sum(x.dollars for x in months[(c, s, w)]) for c, s in CASES for w in ("before", "after")]
    rows.append("| **total** | " + " | ".join(f"**{t:.2f}**" for t in totals) + " |")
    return "\n".join(header + rows) + f"\n\nPrices: {p.PRICES_AS_OF}; arm64 GB-s ${ARM_GB_S}."


if __name__ == "__main__":
    print(table())
