"""The whole pipeline on the embedded emulator: upload clips, real S3 events, real handlers, results and a report."""
from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import local_env
from .formatting import record_summary, video_table
from .resources import clear_local_state, local_resource_names, write_local_state

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLIPS = Path(os.environ.get("VIDEOALERT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "clips"
DEFAULT_MODEL_DIR = ROOT / "models"


class LocalContext:
    """What the Lambda runtime passes to a handler, for in-process calls."""

    function_name = "videoalert-dispatcher-local"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:videoalert-dispatcher-local"
    aws_request_id = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


class NoStreamsLocally:
    """The emulator has no Kinesis Video media (moto's GetClip returns placeholder bytes): uploads only."""

    def fetch_clip(self, stream_name, start, end):
        return []


@dataclass
class LocalRunResult:
    records: list[dict]
    alerts: list[dict]
    uploads: dict[str, str]  # video file name -> S3 key under uploads/
    report_path: Path | None = None
    expected: dict[str, str] = field(default_factory=dict)  # file name -> label from labels.csv

    def record_for(self, file_name: str) -> dict | None:
        key = self.uploads.get(file_name)
        return next((r for r in self.records if r.get("upload_key") == key), None)


def load_labels(videos: list[Path]) -> dict[str, str]:
    labels = {}
    for folder in {v.parent for v in videos}:
        path = folder / "labels.csv"
        if path.exists():
            with path.open() as f:
                labels.update({row["file"]: row["label"] for row in csv.DictReader(f)})
    return labels


def _import_handlers():
    if str(ROOT / "lambdas") not in sys.path:
        sys.path.insert(0, str(ROOT / "lambdas"))
    import dispatcher

    from videoalert_inference import handler as inference

    return dispatcher, inference


def _connect_upload_notifications(sess, endpoint, bucket: str) -> str:
    """S3 ObjectCreated on uploads/ -> an SQS queue the run reads (in AWS, S3 invokes the dispatcher directly)."""
    sqs = sess.client("sqs", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="videoalert-upload-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sess.client("s3", endpoint_url=endpoint).put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{
            "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}}]})
    return url


def _deliver_events(sess, endpoint, queue_url: str, dispatcher, *, wait_s: float = 0) -> int:
    """Hand every queued S3 event to the dispatcher handler, as the Lambda service would; returns how many."""
    sqs = sess.client("sqs", endpoint_url=endpoint)
    delivered = 0
    deadline = time.monotonic() + wait_s
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            if time.monotonic() >= deadline:
                return delivered
            time.sleep(0.2)
            continue
        for message in messages:
            event = json.loads(message["Body"])
            if event.get("Event") != "s3:TestEvent":  # sent once when the notification is configured
                dispatcher.handler(event, LocalContext())
                delivered += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def run_local(
    videos: list[Path],
    *,
    camera: str = "cam1",
    model_dir: Path = DEFAULT_MODEL_DIR,
    report_dir: Path | None = Path("out/local-run"),
    serve: bool = False,
    quiet: bool = False,
    show_record: bool = True,
) -> LocalRunResult:
    say = (lambda *a, **k: None) if quiet else print
    missing = [v for v in videos if not v.is_file()]
    if missing:
        from .errors import UserError

        raise UserError(f"not found: {', '.join(map(str, missing))}")
    if not (model_dir / "model_card.json").exists():
        from .errors import UserError

        raise UserError(f"no released model in {model_dir} (expected person_classifier.onnx + model_card.json)")

    defaults = {
        "POWERTOOLS_SERVICE_NAME": "videoalert-local",
        "POWERTOOLS_METRICS_NAMESPACE": "videoalert",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    with _environment(
        MODEL_DIR=str(model_dir),
        **local_env.DUMMY_CREDENTIALS,
        **{k: os.environ.get(k, v) for k, v in defaults.items()},
    ):
        os.environ.pop("AWS_PROFILE", None)
        return _run_on_emulator(
            videos, camera=camera, report_dir=report_dir, serve=serve, say=say, show_record=show_record
        )


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables for the run and put every one back afterwards (tests run in one process)."""
    previous = {k: os.environ.get(k) for k in [*values, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_on_emulator(videos, *, camera, report_dir, serve, say, show_record) -> LocalRunResult:
    with local_env.moto_server() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint  # the inference handler's own S3 client goes to the emulator too
        say(f"emulator: moto server at {endpoint}")
        sess = local_env.session()
        res = local_env.create_resources(sess, endpoint_url=endpoint, cameras=(camera,))
        queue_url = _connect_upload_notifications(sess, endpoint, res.video_bucket)
        dispatcher, inference = _import_handlers()
        inference.reset_runtime()  # the model is loaded from model_dir on the first clip
        from videoalert.aws.inference import InProcessInferenceClient
        from videoalert.wiring import build_dependencies

        dispatcher._dependencies = build_dependencies(
            res.settings(),
            session=sess,
            endpoint_url=endpoint,
            inference=InProcessInferenceClient(inference.handler),
            clip_source=NoStreamsLocally(),
        )

        s3 = sess.client("s3", endpoint_url=endpoint)
        uploads = {}
        for video in videos:
            key = f"uploads/{camera}/{video.name}"
            s3.upload_file(str(video), res.video_bucket, key)
            uploads[video.name] = key
        say(f"uploaded {len(videos)} video(s) to s3://{res.video_bucket}/uploads/{camera}/")
        started = time.monotonic()
        delivered = _deliver_events(sess, endpoint, queue_url, dispatcher, wait_s=2.0)
        while delivered < len(videos) and time.monotonic() - started < 60:
            delivered += _deliver_events(sess, endpoint, queue_url, dispatcher, wait_s=1.0)
        say(f"dispatcher handled {delivered} upload event(s) in {time.monotonic() - started:.1f} s\n")

        result = _collect(sess, endpoint, res, uploads, load_labels(videos))
        _show(result, say, show_record)
        if report_dir is not None:
            from .report import write_report

            result.report_path = write_report(result, report_dir, {p.name: p for p in videos})
            say(f"\nreport: {result.report_path}")
        if serve:
            _serve(sess, endpoint, res, queue_url, dispatcher, say)
        return result


def _collect(sess, endpoint, res, uploads, labels) -> LocalRunResult:
    from videoalert.store.videos import VideoRecords

    table = sess.resource("dynamodb", endpoint_url=endpoint).Table(res.videos_table)
    records = [r.to_item() for r in VideoRecords(table).all()]  # shown and reported as stored
    order = {key: n for n, key in enumerate(uploads.values())}
    records.sort(key=lambda r: order.get(r.get("upload_key"), 1 << 30))
    alerts = local_env.drain_alerts(sess, res.alert_queue_url, endpoint_url=endpoint)
    return LocalRunResult(records=records, alerts=alerts, uploads=uploads, expected=labels)


def _show(result: LocalRunResult, say, show_record: bool) -> None:
    file_of = {v: k for k, v in result.uploads.items()}
    say(video_table(result.records, {"file": lambda r: file_of.get(r.get("upload_key"), "")}))
    say(f"\nalerts received on the subscribed SQS queue: {len(result.alerts)}")
    for alert in result.alerts:
        body = alert["body"]
        say(
            f"  [{alert['attributes'].get('camera_id')}/{alert['attributes'].get('decision')}] {alert['subject']}"
            f"  score={body['score']}  video={body['video']['uri']}"
        )
    if result.expected:
        checks = []
        for name, label in result.expected.items():
            record = result.record_for(name)
            if record is None:
                continue
            alerted = record.get("decision") == "ALERT"
            checks.append((name, label, alerted, alerted == (label == "human")))
        good = sum(ok for *_, ok in checks)
        say(f"\nagainst labels.csv: {good}/{len(checks)} as expected (alert on humans only)")
        for name, label, alerted, ok in checks:
            if not ok:
                say(f"  UNEXPECTED: {name} ({label}) {'alerted' if alerted else 'did not alert'}")
    if show_record and result.records:
        alerts = [r for r in result.records if r.get("decision") == "ALERT"]
        shown = max(alerts, key=lambda r: float(r.get("max_score") or 0)) if alerts else result.records[0]
        say(f"\nstored record of {shown['video_id']} (videoalert status {shown['video_id']} --local):")
        say(record_summary(shown))


def _serve(sess, endpoint, res, queue_url, dispatcher, say) -> None:
    write_local_state(endpoint, local_resource_names(res.alert_topic_arn, res.cameras))
    say(
        f"\nemulator kept running at {endpoint} (Ctrl-C to stop). In another terminal:\n"
        f"  videoalert upload {res.cameras[0]} some.mp4 --local\n  videoalert list --camera {res.cameras[0]} --local"
    )
    try:
        while True:
            if _deliver_events(sess, endpoint, queue_url, dispatcher, wait_s=1.0):
                for alert in local_env.drain_alerts(sess, res.alert_queue_url, endpoint_url=endpoint):
                    say(f"ALERT: {alert['subject']} ({alert['body']['video_id']})")
    except KeyboardInterrupt:
        say("stopping the emulator")
    finally:
        clear_local_state()
