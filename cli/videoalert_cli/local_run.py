"""The whole pipeline on the embedded emulators, by both paths a clip can take.

Upload path: each video is uploaded under uploads/<camera>/; S3's real ObjectCreated notification reaches
the dispatcher handler. Camera path: each video is streamed with `videoalert push`'s code (PutMedia, SigV4,
acknowledgements) into the local Kinesis Video Streams stand-in at its own minute of producer time, and the
dispatcher handler, woken by EventBridge's scheduled event once a minute of that (simulated) clock, cuts the
camera's minutes from the stream with ListFragments and GetClip. Both paths then score with the real
inference handler, decide, record and alert as in AWS. The run prints one table of both, and writes a report.
"""
from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import local_env
from .formatting import record_summary, video_table
from .resources import clear_local_state, local_resource_names, write_local_state

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLIPS = Path(os.environ.get("VIDEOALERT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "clips"
DEFAULT_MODEL_DIR = ROOT / "models"
PATHS = ("upload", "camera")
SERVE_TICK_S = 10.0  # `run-local --serve` sends the scheduled event this often (EventBridge: every minute)
FINISH_LIMIT_S = 900.0  # the run's schedule gives the records left open (a long upload's later windows) this long
DECISION_ORDER = {"ALERT": 0, "COOLDOWN": 1, "SUPPRESSED": 2, "NO_ALERT": 3}
# Events the dispatcher raised on (what Lambda would send to the dispatcher's failure queue after its retries).
DEAD_LETTERS = Path(".local-run/dead-letters.jsonl")


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
    """A clip source with no media at all (tests of the upload path only)."""

    def fetch_clip(self, stream_name: str, start: datetime, end: datetime) -> list[bytes]:
        return []


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


def _import_handlers() -> tuple[Any, Any]:
    if str(ROOT / "lambdas") not in sys.path:
        sys.path.insert(0, str(ROOT / "lambdas"))
    import dispatcher

    from videoalert_inference import handler as inference

    return dispatcher, inference


def _handler_logs_to_stderr() -> None:
    """The handlers' log lines go to stderr here: Powertools writes them to stdout, where Lambda collects them, but
    the local run's stdout is its own output (the table, or one JSON document with --json)."""
    loggers = [logging.getLogger(), *(found for found in logging.Logger.manager.loggerDict.values()
                                      if isinstance(found, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler and handler.stream in (sys.stdout, sys.__stdout__):
                handler.setStream(sys.stderr)


def call_handler(module: Any, event: Any) -> dict[str, Any]:
    """A handler module's Lambda handler called in process. Its metrics are disabled here (POWERTOOLS_METRICS_DISABLED),
    and Powertools then keeps them rather than flushing them, and prints them to stdout (the local run's own output)
    once a metric has 100 values: they are cleared around each call instead. Metrics are shared by every Metrics
    object, so this clears the inference handler's too."""
    metrics = getattr(module, "metrics", None)  # a stand-in handler (tests) may have none
    if metrics is not None:
        metrics.clear_metrics()
    try:
        answer: dict[str, Any] = module.handler(event, LocalContext())
        return answer
    finally:
        if metrics is not None:
            metrics.clear_metrics()


def _links_handler() -> Any:
    if str(ROOT / "lambdas") not in sys.path:
        sys.path.insert(0, str(ROOT / "lambdas"))
    import feedback_links

    return feedback_links


def _connect_upload_notifications(sess: Any, endpoint: str | None, bucket: str) -> str:
    """S3 ObjectCreated on uploads/ -> an SQS queue the run reads (in AWS, S3 invokes the dispatcher directly)."""
    sqs = sess.client("sqs", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="videoalert-upload-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sess.client("s3", endpoint_url=endpoint).put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{
            "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}}]})
    return str(url)


def _deliver_events(sess: Any, endpoint: str | None, queue_url: str, dispatcher: Any, *, wait_s: float = 0,
                    on_done: Callable[[dict[str, Any]], None] = lambda answer: None) -> int:
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
            try:
                event = json.loads(message["Body"])
            except ValueError:  # not JSON at all: the handler would never see it; kept as text, with the error
                event = message["Body"]
            if not (isinstance(event, dict) and event.get("Event") == "s3:TestEvent"):  # sent once, at setup
                on_done(_handle(dispatcher, event))
                delivered += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def scheduled_event(at: datetime) -> dict[str, Any]:
    """What EventBridge's every-minute rule sends the dispatcher."""
    return {"version": "0", "id": f"local-{at:%Y%m%dT%H%M%S}", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": local_env.REGION, "resources": ["arn:aws:events:us-east-1:000000000000:rule/videoalert-minute"],
            "detail": {}}


def clip_seconds(video: Path) -> float:
    import av

    with av.open(str(video)) as container:
        if container.duration:
            return float(container.duration) / 1_000_000
        stream = container.streams.video[0]
        return float((stream.duration or 0) * (stream.time_base or 0))


def plan_minutes(seconds: list[float], now: datetime, *, gap_minutes: int, settle_seconds: int) -> list[datetime]:
    """The producer minute each clip starts at: in order, gap_minutes apart (more for a clip over a minute),
    all ended and settled before `now`, so the schedule can cut every one of them."""
    offsets, offset = [], 0
    for length in seconds:
        offsets.append(offset)
        offset += max(gap_minutes, math.ceil(length / 60) or 1)
    span = offsets[-1] + (math.ceil(seconds[-1] / 60) or 1) if seconds else 0
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=span + math.ceil(settle_seconds / 60) + 1)
    return [first + timedelta(minutes=o) for o in offsets]


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.rstrip().splitlines())


def _handle(dispatcher: Any, event: Any) -> dict[str, Any]:
    """One event to the dispatcher; its answer. An event it raises on is set aside whole, with its error, in
    DEAD_LETTERS (as Lambda's failure queue would keep it) and the loop goes on (answer {}): one bad event never
    stops the run or loses its state. Replaying the file's events is safe: the dispatcher is idempotent."""
    try:
        answer: dict[str, Any] = call_handler(dispatcher, event)
        return answer
    except Exception as exc:  # noqa: BLE001 - any failure: set the event aside, as Lambda's failure queue would
        DEAD_LETTERS.parent.mkdir(parents=True, exist_ok=True)
        with DEAD_LETTERS.open("a") as f:
            f.write(json.dumps({"error": f"{type(exc).__name__}: {exc}", "event": event}) + "\n")
        print(f"the dispatcher failed on an event ({type(exc).__name__}: {exc}); it is kept in {DEAD_LETTERS}",
              file=sys.stderr)
        return {}


def run_local(
    videos: list[Path],
    *,
    camera: str = "cam1",
    model_dir: Path = DEFAULT_MODEL_DIR,
    report_dir: Path | None = Path("out/local-run"),
    serve: bool = False,
    quiet: bool = False,
    show_record: bool = True,
    paths: tuple[str, ...] = PATHS,
    camera_videos: list[Path] | None = None,
    say: Callable[[str], None] | None = None,
    show_progress: bool = False,
    serve_clock: Callable[[], datetime] | None = None,
    stop: threading.Event | None = None,
) -> LocalRunResult:
    """Run the pipeline over `videos` (upload path) and `camera_videos` (camera path; default the same videos).

    serve: keep the emulators running (until Ctrl-C, or `stop` is set), handling uploads and redrives as they
    arrive and sending the scheduled event every SERVE_TICK_S with the time `serve_clock` gives (default now).
    """
    from .errors import UserError

    say = (lambda *a, **k: None) if quiet else (say or print)
    camera_videos = list(videos if camera_videos is None else camera_videos) if "camera" in paths else []
    upload_videos = list(videos) if "upload" in paths else []
    missing = [v for v in {*upload_videos, *camera_videos} if not v.is_file()]
    if missing:
        raise UserError(f"not found: {', '.join(map(str, sorted(missing)))}")
    if not (model_dir / "model_card.json").exists():
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
        run = _LocalRun(camera=camera, say=say, show_progress=show_progress,
                        clock=serve_clock or (lambda: datetime.now(UTC)), stop=stop or threading.Event())
        return run.run(upload_videos, camera_videos, report_dir=report_dir, serve=serve, show_record=show_record)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
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


class _LocalRun:
    """One run: the emulators, the handlers wired to them, both paths, the results."""

    def __init__(self, *, camera: str, say: Callable[[str], None], show_progress: bool,
                 clock: Callable[[], datetime], stop: threading.Event):
        self.camera, self.show_progress = camera, show_progress
        self.say = self._around_the_bar(say) if show_progress else say
        self.clock, self.stop = clock, stop
        self.not_pushed: dict[str, str] = {}
        self.stream_minutes: dict[str, str] = {}

    @staticmethod
    def registry_settings() -> Any:
        from videoalert.config.cameras import RegistrySettings
        from videoalert_contract import names

        n = names.local_names()
        return RegistrySettings(cameras_table=n["cameras_table"], videos_table=n["videos_table"], stage="local")

    @staticmethod
    def _around_the_bar(say: Callable[[str], None]) -> Callable[[str], None]:
        """Messages printed while the progress bar is drawn: the bar steps aside and comes back under them."""
        def written(message: str) -> None:
            from tqdm import tqdm

            with tqdm.external_write_mode(file=sys.stderr):
                say(message)

        return written

    def run(self, upload_videos: list[Path], camera_videos: list[Path], *, report_dir: Path | None, serve: bool,
            show_record: bool) -> LocalRunResult:
        from videoalert.aws.kvs import KvsClipSource

        from .local_kvs import LocalKvsEndpoint

        if serve:
            self._refuse_a_second_emulator()
        from .links_server import serve_links

        credentials = local_env.session().get_credentials().get_frozen_credentials()
        links = _links_handler()
        with local_env.moto_server() as endpoint, LocalKvsEndpoint(credentials=credentials,
                                                                  region=local_env.REGION) as kvs, \
                serve_links(links.handler) as links_url:
            os.environ["AWS_ENDPOINT_URL"] = endpoint  # the inference handler's own S3 client goes to the emulator
            self.say(f"emulators: moto server at {endpoint}, Kinesis Video Streams stand-in at {kvs.url}")
            self.sess, self.endpoint, self.kvs = local_env.session(), endpoint, kvs
            self.res = local_env.create_resources(self.sess, endpoint_url=endpoint, cameras=())
            from videoalert.wiring import build_links

            # The public links function (one-tap feedback, the review page) on 127.0.0.1, as its function URL in AWS.
            links._deps = build_links(self.res.links_settings(), session=self.sess, endpoint_url=endpoint)
            self.links_url = links_url
            self.say(f"feedback links and review page at {links_url}")
            self.kvs_client = self.sess.client("kinesisvideo", endpoint_url=kvs.url)
            # The camera is registered as the stack's deploy-time seed registers it: its stream on the KVS stand-in,
            # then its registry item. `videoalert camera add CAM --local` adds more while --serve runs.
            from videoalert.app.cameras import seed_cameras
            from videoalert.wiring import build_registry

            seed_cameras(build_registry(self.registry_settings(), session=self.sess, endpoint_url=endpoint,
                                        kvs_endpoint_url=kvs.url), [self.camera])
            self.queue_url = _connect_upload_notifications(self.sess, endpoint, self.res.video_bucket)
            self.dispatcher, inference = _import_handlers()
            _handler_logs_to_stderr()
            inference.reset_runtime()  # the model is loaded from model_dir on the first clip
            from videoalert.aws.inference import InProcessInferenceClient
            from videoalert.wiring import build_dependencies

            self.deps = build_dependencies(self.res.settings(links_base_url=links_url), session=self.sess,
                                           endpoint_url=endpoint,
                                           inference=InProcessInferenceClient(inference.handler),
                                           clip_source=KvsClipSource(self.kvs_client))
            self.dispatcher._dependencies = self.deps
            from .output import progress

            camera_videos, _ = self._probe(camera_videos)
            plan = self._plan(camera_videos)
            steps = len(upload_videos) + len(camera_videos) + (len(plan[1]) if plan else 0)
            self.bar = progress(total=steps, unit="step", desc="local run", disabled=not self.show_progress)
            try:
                uploads = self._upload_path(upload_videos)
                streamed, pushed, idle = self._camera_path(camera_videos, plan) if camera_videos else ({}, {}, 0)
                self._finish_open_records()
            finally:
                self.bar.close()
            result = self._collect(uploads, streamed, idle, load_labels([*upload_videos, *camera_videos]))
            result.pushed, result.not_pushed = pushed, self.not_pushed
            self._show(result, show_record)
            if report_dir is not None:
                from .report import write_report

                result.report_path = write_report(result, report_dir, self._read_clip)
                self.say(f"\nreport: {result.report_path}")
            if serve:
                self._serve()
            return result

    # --- upload path ----------------------------------------------------------------------------------

    def _upload_path(self, videos: list[Path]) -> dict[str, str]:
        if not videos:
            return {}
        s3 = self.sess.client("s3", endpoint_url=self.endpoint)
        uploads = {}
        self.bar.set_description("upload path")
        for video in videos:
            key = f"uploads/{self.camera}/{video.name}"
            s3.upload_file(str(video), self.res.video_bucket, key)
            uploads[video.name] = key
        self.say(f"upload path: {len(videos)} video(s) uploaded to s3://{self.res.video_bucket}/uploads/{self.camera}/")
        started = time.monotonic()
        delivered = _deliver_events(self.sess, self.endpoint, self.queue_url, self.dispatcher, wait_s=2.0,
                                    on_done=lambda answer: self.bar.update(1))
        while delivered < len(videos) and time.monotonic() - started < 60:
            delivered += _deliver_events(self.sess, self.endpoint, self.queue_url, self.dispatcher, wait_s=1.0,
                                         on_done=lambda answer: self.bar.update(1))
        self.say(f"upload path: the dispatcher handled {delivered} S3 event(s) in {time.monotonic() - started:.1f} s")
        return uploads

    # --- camera path ----------------------------------------------------------------------------------

    def _probe(self, videos: list[Path]) -> tuple[list[Path], dict[str, str]]:
        """(the videos that can be streamed, with their lengths known; the others with the reason)."""
        readable, refused = [], self.not_pushed
        self.seconds: dict[Path, float] = {}
        for video in videos:
            try:
                self.seconds[video] = clip_seconds(video)
                readable.append(video)
            except Exception as exc:  # noqa: BLE001 - one unreadable file is that file's, never the run's
                refused[video.name] = f"cannot read it as video: {type(exc).__name__}: {exc}"
                self.say(f"camera path: {video.name} is not streamed ({refused[video.name]})")
        return readable, refused

    def _plan(self, videos: list[Path]) -> tuple[list[datetime], list[datetime]] | None:
        """(producer start minute of each video, the scheduled runs that cut them), or None without videos."""
        if not videos:
            return None
        rule = self.deps.cameras.get(self.camera).rule  # type: ignore[union-attr]
        settle = self.deps.settings.settle_seconds
        # Each clip its own event: further apart than the camera's cooldown, so no clip continues another's alert.
        gap = math.ceil(rule.cooldown_s / 60) + 1
        starts = plan_minutes([self.seconds[v] for v in videos], datetime.now(UTC), gap_minutes=gap,
                              settle_seconds=settle)
        last_end = starts[-1] + timedelta(minutes=math.ceil(self.seconds[videos[-1]] / 60) or 1)
        runs, minute = [], starts[0]
        while minute < last_end:
            runs.append(minute + timedelta(minutes=1, seconds=settle))
            minute += timedelta(minutes=1)
        return starts, runs

    def _camera_path(self, videos: list[Path], plan: tuple[list[datetime], list[datetime]] | None
                     ) -> tuple[dict[str, str], dict[str, dict[str, Any]], int]:
        from videoalert.domain.ids import stream_video_id
        from videoalert_contract.names import stream_name

        from .errors import UserError
        from .kvs.producer import push_source

        assert plan is not None
        starts, runs = plan
        name = stream_name(self.camera)
        credentials = self.sess.get_credentials()
        streamed, pushed = {}, {}
        self.bar.set_description("camera path: push")
        started = time.monotonic()
        for video, start in zip(videos, starts, strict=True):
            try:
                summary = push_source(str(video), stream=name, kvs_client=self.kvs_client, credentials=credentials,
                                      region=local_env.REGION, start_ms=round(start.timestamp() * 1000))
            except Exception as exc:  # noqa: BLE001 - the source cannot be packed, or the stand-in refused it: say so,
                # go on with the other files (one bad file is that file's, never the run's)
                why = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
                self.not_pushed[video.name] = why
                self.say(f"camera path: {video.name} is not streamed ({why})")
                continue
            finally:
                self.bar.update(1)
            self.say(f"camera path: pushed {video.name} to {name} from {start:%H:%M:%S}Z ({summary.mode}): "
                     f"{summary.persisted}/{summary.fragments_sent} fragments persisted")
            streamed[video.name] = stream_video_id(self.camera, start)
            pushed[video.name] = summary.to_dict()
            last = summary.last_timecode_ms or round(start.timestamp() * 1000)
            minute = start
            while minute.timestamp() * 1000 <= last:
                self.stream_minutes[stream_video_id(self.camera, minute)] = video.name
                minute += timedelta(minutes=1)
        pushed_s = time.monotonic() - started
        self.bar.set_description("camera path: schedule")
        idle, cut, started = 0, 0, time.monotonic()
        for at in runs:
            answer = call_handler(self.dispatcher, scheduled_event(at))
            for outcome in answer.get("outcomes", []):
                if outcome.get("status") == "IDLE":
                    idle += 1
                elif outcome.get("video_id"):
                    cut += 1
            self.bar.update(1)
        self.say(f"camera path: {len(videos)} video(s) pushed in {pushed_s:.1f} s; {len(runs)} scheduled runs "
                 f"({runs[0]:%H:%M}-{runs[-1]:%H:%M}Z) cut {cut} minute(s) with media and skipped {idle} idle "
                 f"minute(s) in {time.monotonic() - started:.1f} s")
        return streamed, pushed, idle

    def _finish_open_records(self) -> None:
        """Run the schedule until no record is open, as EventBridge's every-minute event would: an upload's event takes
        its first windows (max_windows_per_run), the scheduled runs' recovery the rest, each due a second after the one
        before it. Runs after the camera path, whose minutes the schedule cut already (a later tick finds them cut)."""
        from videoalert.store.videos import VideoRecords

        records = VideoRecords(self.sess.resource("dynamodb", endpoint_url=self.endpoint).Table(self.res.videos_table))
        started, runs = time.monotonic(), 0
        while any(r.due_at for r in records.all()):
            if time.monotonic() - started > FINISH_LIMIT_S:
                self.say(f"records still open after {FINISH_LIMIT_S:.0f} s of scheduled runs: the table shows "
                         "them RECEIVED (with --serve the schedule goes on)")
                return
            answer = _handle(self.dispatcher, scheduled_event(self.clock()))
            runs += 1
            if not any(o.get("video_id") and o.get("status") != "IDLE" for o in answer.get("outcomes", [])):
                time.sleep(1.0)  # nothing was due yet: the next window is due a second after the last
        if runs:
            self.say(f"schedule: {runs} scheduled run(s) finished the records left open (a long upload's later "
                     f"windows) in {time.monotonic() - started:.1f} s")

    # --- results --------------------------------------------------------------------------------------

    def _read_clip(self, record: dict[str, Any]) -> list[bytes]:
        s3 = self.sess.client("s3", endpoint_url=self.endpoint)
        keys = [record["s3_key"], *(record.get("more_keys") or [])] if record.get("s3_key") else []
        return [s3.get_object(Bucket=record["s3_bucket"], Key=k)["Body"].read() for k in keys]

    def _collect(self, uploads: dict[str, str], streamed: dict[str, str], idle: int,
                 labels: dict[str, str]) -> LocalRunResult:
        from videoalert.store.videos import VideoRecords

        table = self.sess.resource("dynamodb", endpoint_url=self.endpoint).Table(self.res.videos_table)
        records = [r.to_item() for r in VideoRecords(table).all()]  # shown and reported as stored
        result = LocalRunResult(records=records, alerts=local_env.drain_alerts(
            self.sess, self.res.alert_queue_url, endpoint_url=self.endpoint), uploads=uploads, expected=labels,
            streamed=streamed, stream_minutes=self.stream_minutes, idle_minutes=idle)
        order = {name: n for n, name in enumerate([*uploads, *streamed])}
        records.sort(key=lambda r: (result.path_of(r) != "upload", order.get(result.file_of(r), 1 << 30),
                                    r.get("window_start") or ""))
        return result

    def _show(self, result: LocalRunResult, show_record: bool) -> None:
        say = self.say
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
            say(_indented(first["body"].get("text") or json.dumps(first["body"], indent=2)))
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

    # --- serving --------------------------------------------------------------------------------------

    @staticmethod
    def _refuse_a_second_emulator() -> None:
        from .errors import UserError
        from .resources import local_state_path, running_local_state

        running = running_local_state()
        if running is not None:
            raise UserError(f"a local emulator is already running (pid {running.pid}, recorded in "
                            f"{local_state_path()}): stop it first, or use it with --local")

    def _serve(self) -> None:
        path = write_local_state(self.endpoint, local_resource_names(self.res.alert_topic_arn),
                                 kvs_endpoint_url=self.kvs.url)
        camera = self.camera
        self.say(f"\nemulators kept running (recorded in {path}; Ctrl-C stops them). In another terminal:\n"
                 f"  videoalert camera add cam2 --local   (a camera more: its stream, then the next tick lists it)\n"
                 f"  videoalert upload {camera} some.mp4 --local\n"
                 f"  videoalert push {camera} some.mp4 --local   (its minutes are cut a minute or two after they end)\n"
                 f"  videoalert list --camera {camera} --local\n"
                 f"Their state (records, clips, streams, alerts) lives in this process's memory only: stopping it "
                 f"loses them, and a new run starts empty. An event the dispatcher fails on is kept in {DEAD_LETTERS} "
                 f"and the run goes on.")
        if self.deps.links is not None:  # a signed review link, valid 7 days (the run's key dies with the run)
            self.say(f"review page of {camera}: {self.deps.links.review_url(camera, datetime.now(UTC))}")
            self.say(f"events of every camera: {self.deps.links.review_url('*', datetime.now(UTC))}")

        def report(answer: dict[str, Any]) -> None:
            for outcome in answer.get("outcomes", []):
                if outcome.get("video_id") and outcome.get("status") not in ("IDLE", "DUPLICATE"):
                    self.say(f"{outcome['video_id']}: {outcome.get('status')} {outcome.get('decision', '')}"
                             f" {outcome.get('reason', '')}".rstrip())

        try:
            next_tick = time.monotonic()
            while not self.stop.is_set():
                _deliver_events(self.sess, self.endpoint, self.queue_url, self.dispatcher,
                                wait_s=min(1.0, SERVE_TICK_S), on_done=report)
                if time.monotonic() >= next_tick:
                    report(_handle(self.dispatcher, scheduled_event(self.clock())))
                    next_tick = time.monotonic() + SERVE_TICK_S
                for alert in local_env.drain_alerts(self.sess, self.res.alert_queue_url, endpoint_url=self.endpoint):
                    self.say(f"ALERT: {alert['subject']} ({alert['body']['video_id']})")
                    self.say(_indented(alert["body"].get("text") or ""))
        except KeyboardInterrupt:
            self.say("stopping the emulators")
        finally:
            clear_local_state()
