"""What a local run found: the records and alerts of both paths, checked against labels.csv, and the table it
prints."""
from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videoalert_cli.formatting import record_summary, video_table

from . import emulator
from .camera_path import CameraPathResult
from .pipeline import LocalPipeline

PATHS = ("upload", "camera")


@dataclass(frozen=True)
class Check:
    path: str
    file: str
    label: str
    decision: str | None
    ok: bool


@dataclass
class LocalRunResult:
    records: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    uploads: dict[str, str]  # video file name -> S3 key under uploads/
    report_path: Path | None = None
    expected: dict[str, str] = field(default_factory=dict)  # file name -> label from labels.csv
    streamed: dict[str, str] = field(default_factory=dict)  # video file name -> video_id of its (first) minute
    stream_minutes: dict[str, str] = field(default_factory=dict)  # video_id of every minute a file covers -> file
    idle_minutes: int = 0  # camera-path minutes with no media (logged skips, no record)
    pushed: dict[str, dict[str, Any]] = field(default_factory=dict)  # video file name -> its push summary
    not_pushed: dict[str, str] = field(default_factory=dict)  # video file name -> why it could not be streamed

    def record_for(self, file_name: str, path: str = "upload") -> dict[str, Any] | None:
        if path == "camera":
            return next((r for r in self.records if r["video_id"] == self.streamed.get(file_name)), None)
        key = self.uploads.get(file_name)
        return next((r for r in self.records if r.get("upload_key") == key), None)

    def path_of(self, record: dict[str, Any]) -> str:
        return "camera" if record.get("source") == "stream" else "upload"

    def file_of(self, record: dict[str, Any]) -> str:
        if record.get("source") == "stream":
            return self.stream_minutes.get(record["video_id"], "")
        return next((f for f, k in self.uploads.items() if k == record.get("upload_key")), "")

    def checks(self) -> list[Check]:
        """Per path and labelled file: alerted exactly when a person is in it."""
        found = []
        for path, files in (("upload", self.uploads), ("camera", self.streamed)):
            for name in files:
                record, label = self.record_for(name, path), self.expected.get(name)
                if record is None or label is None:
                    continue
                alerted = record.get("decision") == "ALERT"
                if path == "camera":  # a clip over a minute long is several records: any of them may alert
                    alerted = any(r.get("decision") == "ALERT" for r in self.records
                                  if self.stream_minutes.get(r["video_id"]) == name)
                found.append(Check(path, name, label, record.get("decision"), alerted == (label in PERSON_LABELS)))
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"records": [{"path": self.path_of(r), "file": self.file_of(r), **r} for r in self.records],
                "alerts": self.alerts, "idle_minutes": self.idle_minutes, "pushed": self.pushed,
                "not_pushed": self.not_pushed,
                "checks": [c.__dict__ for c in self.checks()],
                "report": str(self.report_path) if self.report_path else None}


# labels.csv values that mean a person is in the video: the sample clips' "human", the real videos' "person" and
# "both" (people and horses).
PERSON_LABELS = ("human", "person", "both")


def load_labels(videos: list[Path]) -> dict[str, str]:
    labels = {}
    for folder in {v.parent for v in videos}:
        path = folder / "labels.csv"
        if path.exists():
            with path.open() as f:
                labels.update({row["file"]: row["label"] for row in csv.DictReader(f)})
    return labels



def collect(pipe: LocalPipeline, uploads: dict[str, str], camera: CameraPathResult,
            labels: dict[str, str]) -> LocalRunResult:
    """Every record as stored, the alerts the subscribed queue received, in the order of the files."""
    from videoalert.store.videos import VideoRecords

    records = [r.to_item() for r in VideoRecords(pipe.table(pipe.res.videos_table)).all()]  # shown as stored
    result = LocalRunResult(records=records, alerts=emulator.drain_alerts(
        pipe.sess, pipe.res.alert_queue_url, endpoint_url=pipe.endpoint), uploads=uploads, expected=labels,
        streamed=camera.streamed, stream_minutes=camera.stream_minutes, idle_minutes=camera.idle,
        pushed=camera.pushed, not_pushed=camera.not_pushed)
    order = {name: n for n, name in enumerate([*uploads, *camera.streamed])}
    records.sort(key=lambda r: (result.path_of(r) != "upload", order.get(result.file_of(r), 1 << 30),
                                r.get("window_start") or ""))
    return result


def indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.rstrip().splitlines())


def show(result: LocalRunResult, say: Callable[[str], None], show_record: bool) -> None:
    """The run's table, its alerts (the first as the e-mail reads), the checks against labels.csv, one record."""
    say("")
    say(video_table(result.records, {"path": result.path_of, "file": result.file_of}))
    if result.idle_minutes:
        say(f"(camera path: {result.idle_minutes} idle minute(s) between the clips: logged skips, no record)")
    say(f"\nalerts received on the subscribed SQS queue: {len(result.alerts)}")
    for alert in result.alerts:
        body = alert["body"]
        say(f"  [{alert['attributes'].get('camera_id')}/{alert['attributes'].get('decision')}] {alert['subject']}"
            f"  score={body['score']}  video={body['video']['uri']}")
    if result.alerts:  # what a person receives: the text e-mail SNS sends, its picture and one-tap links
        first = result.alerts[0]
        say(f"\nthe first alert as the e-mail reads (Subject: {first['subject']}):\n")
        say(indented(first["body"].get("text") or json.dumps(first["body"], indent=2)))
    checks = result.checks()
    if checks:
        per_path = ", ".join(
            f"{path} path {sum(c.ok for c in checks if c.path == path)}/{sum(c.path == path for c in checks)}"
            for path in PATHS if any(c.path == path for c in checks))
        say(f"\nagainst labels.csv: {per_path} as expected (alert where a person is: {', '.join(PERSON_LABELS)})")
        for check in checks:
            if not check.ok:
                say(f"  UNEXPECTED ({check.path} path): {check.file} ({check.label}) decided {check.decision}")
    if show_record and result.records:
        alerts = [r for r in result.records if r.get("decision") == "ALERT"]
        shown = max(alerts, key=lambda r: float(r.get("max_score") or 0)) if alerts else result.records[0]
        say(f"\nstored record of {shown['video_id']} (videoalert status {shown['video_id']} --local):")
        say(record_summary(shown))
