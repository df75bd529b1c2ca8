"""Alerts and people missed under each false-alert mechanism, on the shared clips and the camera simulation.

Runs the real dispatcher logic (lifecycle.process_window / process_upload) on moto with the real inference
handler and the released model, once per configuration:
  baseline      model threshold, k=2 frames, no cooldown, no memory
  +cooldown     the same rule with cooldown_s=300 (one alert per event)
  +memory       + false-positive memory: the user labels every alert they receive (false or true positive)
  +tuned        + the rule `videoalert tune` recommends from the +memory run's records and labels
Each clip is scored once (the inference is a pure function of the clip); later runs reuse its answer.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np

from videoalert.app.dependencies import Dependencies
from videoalert.app.feedback import FeedbackRequest, apply_feedback
from videoalert.app.lifecycle import process_upload, process_window
from videoalert.aws.inference import InProcessInferenceClient
from videoalert.aws.s3 import ClipStore
from videoalert.aws.sns import AlertPublisher
from videoalert.domain.ids import Window
from videoalert.domain.records import VideoRecord
from videoalert.domain.rule import Rule
from videoalert.domain.types import Decision, Label
from videoalert.domain.whatif import candidates, decided, evaluate, recommend
from videoalert.store.cameras import CameraStore
from videoalert.store.memory import FpMemory
from videoalert.store.videos import VideoRecords

ROOT = Path(__file__).resolve().parents[2]

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SHARED = Path(os.environ.get("VIDEOALERT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "clips"


class CachedInference:
    """The real inference handler, called once per distinct clip (keyed by its bytes' SHA-256)."""

    def __init__(self, s3_factory):
        from videoalert_inference import handler

        self.real = InProcessInferenceClient(handler.handler)
        self.s3_factory = s3_factory
        self.cache: dict = {}
        self.score_seconds: list[float] = []

    def score(self, request):
        s3 = self.s3_factory()
        digest = hashlib.sha256(b"".join(s3.get_object(Bucket=request.bucket, Key=k)["Body"].read()
                                         for k in request.keys)).hexdigest()
        if digest not in self.cache:
            started = time.perf_counter()
            self.cache[digest] = self.real.score(request)
            self.score_seconds.append(time.perf_counter() - started)
        return replace(self.cache[digest], video_id=request.video_id)


class DictClipSource:
    def __init__(self):
        self.clips: dict[tuple[str, datetime], bytes] = {}

    def fetch_clip(self, stream_name, start, end):
        clip = self.clips.get((stream_name, start))
        return [clip] if clip else []


def day_two(path: Path, out: Path) -> Path:
    """The same scene on another day: re-encoded darker, with sensor noise (a recurring object is never
    byte-identical)."""
    if out.exists():
        return out
    rng = np.random.default_rng(7)
    buffer = io.BytesIO()
    with av.open(str(path)) as src, av.open(buffer, "w", format="mp4") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream("libx264", rate=vin.average_rate, options={"preset": "ultrafast", "crf": "23"})
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        for frame in src.decode(vin):
            rgb = frame.to_ndarray(format="rgb24").astype(np.float32) * 0.85 + rng.normal(
                0, 3, (vout.height, vout.width, 3)
            )
            for packet in vout.encode(
                av.VideoFrame.from_ndarray(np.clip(rgb, 0, 255).astype(np.uint8), format="rgb24")
            ):
                dst.mux(packet)
        for packet in vout.encode():
            dst.mux(packet)
    out.write_bytes(buffer.getvalue())
    return out


def scenarios_input(sim_dir: Path, work: Path) -> dict[str, list[dict]]:
    """Per camera: the minutes in order, each {minute, path, person, visit, source}."""
    cams: dict[str, list[dict]] = {}
    with (sim_dir / "timeline.csv").open() as f:
        for row in csv.DictReader(f):
            cams.setdefault(row["camera"], []).append(
                {
                    "minute": int(row["minute"]),
                    "path": sim_dir / row["file"],
                    "source": "stream",
                    "person": row["person_present"] == "True",
                    "visit": row["people_event"] or None,
                }
            )
    with (SHARED / "labels.csv").open() as f:
        labels = list(csv.DictReader(f))
    shared = []
    for day, offset in ((1, 0), (2, 24 * 60)):
        for i, row in enumerate(labels):
            path = SHARED / row["file"] if day == 1 else day_two(SHARED / row["file"], work / f"day2_{row['file']}")
            person = row["label"] == "human"
            shared.append(
                {
                    "minute": offset + 10 * i,
                    "path": path,
                    "source": "upload",
                    "person": person,
                    "visit": f"day{day}-{row['file']}" if person else None,
                    "file": row["file"],
                    "day": day,
                }
            )
    cams["shared"] = shared
    return cams


def run(
    cams: dict[str, list[dict]], rules: dict[str, Rule], *, memory: bool, inference: CachedInference, label_alerts: bool
) -> dict[str, list[dict]]:
    """One pass over every camera's minutes on fresh moto resources; returns the decided records per camera."""
    from moto import mock_aws

    from videoalert_local.emulator import create_resources, session

    with mock_aws():
        sess = session()
        res = create_resources(sess, cameras=tuple(cams))
        ddb = sess.resource("dynamodb")
        s3 = sess.client("s3")
        inference.s3_factory = lambda: s3
        source = DictClipSource()
        deps = Dependencies(
            settings=res.settings(settle_seconds=60, max_windows_per_run=5, max_video_bytes=500 * 1024 * 1024),
            records=VideoRecords(ddb.Table(res.videos_table)),
            cameras=CameraStore(ddb.Table(res.cameras_table)),
            clips=ClipStore(s3, res.video_bucket),
            inference=inference,
            alerts=AlertPublisher(sess.client("sns"), res.alert_topic_arn),
            clip_source=source,
            memory=FpMemory(ddb.Table(res.fp_memory_table)) if memory else None,
        )
        for cam in cams:
            deps.cameras.put_rule(cam, rules[cam])  # create_resources registered it
        events = sorted(
            ((m["minute"], cam, m) for cam, minutes in cams.items() for m in minutes), key=lambda e: (e[0], e[1])
        )
        out: dict[str, list[dict]] = {cam: [] for cam in cams}
        for minute, cam, spec in events:
            camera = deps.cameras.get(cam)
            start = T0 + timedelta(minutes=minute)
            if spec["source"] == "stream":
                source.clips[(f"videoalert-{cam}", start)] = spec["path"].read_bytes()
                outcome = process_window(deps, camera, Window(start, start + timedelta(minutes=1)))
            else:
                key = f"uploads/{cam}/day{spec['day']}/{spec['file']}"
                s3.put_object(Bucket=res.video_bucket, Key=key, Body=spec["path"].read_bytes())
                outcome = process_upload(deps, res.video_bucket, key)
            record = deps.records.get(outcome.video_id)
            if label_alerts and record.decision == Decision.ALERT:
                # The user answers every alert they get, truthfully.
                label = Label.TRUE_POSITIVE if spec["person"] else Label.FALSE_POSITIVE
                apply_feedback(
                    FeedbackRequest(record.video_id, label),
                    records=deps.records,
                    cameras=deps.cameras,
                    memory=deps.memory or FpMemory(ddb.Table(res.fp_memory_table)),
                    who="bench",
                    now=start + timedelta(minutes=1),
                )
                record = deps.records.get(outcome.video_id)
            out[cam].append({**record.to_item(), "_truth": spec})
        return out


def summarise(records: list[dict]) -> dict:
    alerts = [r for r in records if r.get("decision") == Decision.ALERT]
    visits: dict[str, bool] = {}
    for r in records:
        visit = r["_truth"]["visit"]
        if visit:
            visits[visit] = visits.get(visit, False) or r.get("decision") == Decision.ALERT
    return {
        "clips": len(records),
        "alerts": len(alerts),
        "false_alerts": sum(1 for r in alerts if not r["_truth"]["person"]),
        "true_alerts": sum(1 for r in alerts if r["_truth"]["person"]),
        "person_visits": len(visits),
        "people_missed": sum(1 for caught in visits.values() if not caught),
        "decisions": {
            d: sum(1 for r in records if r.get("decision") == d)
            for d in ("ALERT", "NO_ALERT", "COOLDOWN", "SUPPRESSED")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--sim-dir", type=Path, default=Path("out/false_alerts/sim"))
    parser.add_argument("--out", type=Path, default=Path("out/false_alerts"))
    args = parser.parse_args()
    if not (args.model_dir / "model_card.json").exists():
        sys.exit(f"no released model in {args.model_dir}")
    os.environ["MODEL_DIR"] = str(args.model_dir)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "videoalert",
    }.items():
        os.environ.setdefault(key, value)
    if not (args.sim_dir / "timeline.csv").exists():
        from simulate import generate

        generate(args.sim_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    card = json.loads((args.model_dir / "model_card.json").read_text())
    cams = scenarios_input(args.sim_dir, args.out)
    inference = CachedInference(None)

    base = Rule(threshold=None, min_frames=2, cooldown_s=0, fp_distance=0.0)
    configs = {
        "baseline": (base, False),
        "+cooldown": (replace(base, cooldown_s=300), False),
        "+memory": (replace(base, cooldown_s=300, fp_distance=Rule().fp_distance), True),
    }
    results, runs = {}, {}
    for name, (rule, memory) in configs.items():
        runs[name] = run(cams, dict.fromkeys(cams, rule), memory=memory, inference=inference, label_alerts=memory)
        results[name] = {cam: summarise(recs) for cam, recs in runs[name].items()}
    # `videoalert tune` on each camera's +memory records (with the labels the user gave), then rerun.
    tuned_rules, advice = {}, {}
    memory_rule = configs["+memory"][0]
    for cam, recs in runs["+memory"].items():
        # the run keeps records as items (plus the truth): `tune` replays VideoRecord objects, as the CLI reads them
        usable = decided([VideoRecord.from_item({k: v for k, v in r.items() if k != "_truth"}) for r in recs])
        current = evaluate(usable, memory_rule)
        rec = recommend([evaluate(usable, r) for r in candidates(memory_rule, float(card["threshold"]))], current)
        tuned_rules[cam] = rec.outcome.rule if rec.outcome else memory_rule
        advice[cam] = {"rule": tuned_rules[cam].describe(), "reason": rec.reason}
    runs["+tuned"] = run(cams, tuned_rules, memory=True, inference=inference, label_alerts=True)
    results["+tuned"] = {cam: summarise(recs) for cam, recs in runs["+tuned"].items()}

    distances = memory_distances(runs["+memory"])
    report = {
        "model_version": card.get("model_version"),
        "model_threshold": card.get("threshold"),
        "clips_scored": len(inference.cache),
        "mean_score_seconds": round(sum(inference.score_seconds) / max(1, len(inference.score_seconds)), 2),
        "results": results,
        "tune": advice,
        "suppression_distances": distances,
    }
    (args.out / "results.json").write_text(json.dumps(report, indent=2, default=str))
    print(markdown(report))


def memory_distances(run_records: dict[str, list[dict]]) -> dict:
    """Calibration of fp_distance: each clip's nearest cosine distance to the frames of the camera's videos
    labelled false positive, split by whether a person really was in the clip."""
    from videoalert.domain.embeddings import FrameEmbedding, cosine_distance

    def from_record(record: dict) -> list[FrameEmbedding]:
        return [FrameEmbedding.from_item(e) for e in record.get("top_embeddings") or []]

    out = {}
    for cam, recs in run_records.items():
        memory = [
            (r["video_id"], e.vector) for r in recs if r.get("label") == Label.FALSE_POSITIVE for e in from_record(r)
        ]
        groups: dict[str, list[float]] = {"person": [], "no_person": []}
        for r in recs:
            others = [v for vid, v in memory if vid != r["video_id"]]
            embeddings = from_record(r)
            if not others or not embeddings:
                continue
            nearest = min(cosine_distance(e.vector, v) for e in embeddings for v in others)
            groups["person" if r["_truth"]["person"] else "no_person"].append(round(nearest, 4))
        out[cam] = {k: sorted(v) for k, v in groups.items()}
    return out


def markdown(report: dict) -> str:
    lines = [
        f"model {report['model_version']} (threshold {report['model_threshold']}), "
        f"{report['clips_scored']} clips scored once each, {report['mean_score_seconds']} s per clip",
        "",
        "| camera | mechanism | clips | alerts | false alerts | true alerts | person visits | people missed "
        "| ALERT/NO_ALERT/COOLDOWN/SUPPRESSED |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cam in next(iter(report["results"].values())):
        for name, per_cam in report["results"].items():
            s = per_cam[cam]
            d = s["decisions"]
            lines.append(
                f"| {cam} | {name} | {s['clips']} | {s['alerts']} | {s['false_alerts']} | {s['true_alerts']} "
                f"| {s['person_visits']} | {s['people_missed']} | {d['ALERT']}/{d['NO_ALERT']}/"
                f"{d['COOLDOWN']}/{d['SUPPRESSED']} |"
            )
    lines += ["", "nearest cosine distance to the camera's labelled false positives (fp_distance calibration):"]
    for cam, groups in report["suppression_distances"].items():
        parts = [f"{k}: n={len(v)} min={v[0]:.3f} max={v[-1]:.3f}" if v else f"{k}: n=0" for k, v in groups.items()]
        lines.append(f"- {cam}: " + "; ".join(parts))
    lines += [
        "",
        "tune recommendations: " + "; ".join(f"{c}: {a['rule']} ({a['reason']})" for c, a in report["tune"].items()),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
