"""The pipeline in-process on moto: real S3 notifications, the real dispatcher and inference handlers."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Pipeline:
    sess: object
    res: object
    queue_url: str
    dispatcher: object
    deps: object

    def upload(self, camera: str, path: Path, name: str | None = None) -> str:
        key = f"uploads/{camera}/{name or path.name}"
        self.sess.client("s3").upload_file(str(path), self.res.video_bucket, key)
        return key

    def deliver(self) -> int:
        from videoalert_local.events import deliver_events

        return deliver_events(self.sess, None, self.queue_url, self.dispatcher)

    def settle(self, runs: int = 30) -> int:
        """Run the scheduled dispatcher a minute apart, as the deployed schedule does, until no record is open
        (RECEIVED, PROCESSING, or an alert not yet sent); returns the runs it took."""
        from datetime import UTC, datetime, timedelta

        from handlers.conftest import LambdaContext, scheduled_event

        records = self.deps.records
        for run in range(runs):
            if not any(r.due_at for r in records.all()):
                return run
            clock = records.clock
            records.clock = lambda clock=clock: clock() + timedelta(minutes=1)
            self.dispatcher.handler(scheduled_event(datetime.now(UTC)), LambdaContext())
        raise AssertionError(f"records still open after {runs} scheduled runs")

    def records(self) -> list[dict]:
        return [r.to_item() for r in self.deps.records.all()]

    def record_for_upload(self, key: str) -> dict:
        """The record of the upload (of its first window, when it is long)."""
        (record,) = [r for r in self.records() if r.get("upload_key") == key and not r.get("upload_of")]
        return record

    def alerts(self) -> list[dict]:
        from videoalert_local.emulator import drain_alerts

        return drain_alerts(self.sess, self.res.alert_queue_url)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from fixtures.onnx_models import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def pipeline(aws, monkeypatch, tiny_model_dir):
    """Dispatcher + inference in-process, model: the tiny plumbing model unless a test sets MODEL_DIR."""
    if str(ROOT / "lambdas") not in sys.path:
        sys.path.insert(0, str(ROOT / "lambdas"))
    import camera_worker
    import dispatcher

    from videoalert.aws.inference import InProcessInferenceClient
    from videoalert.wiring import build_dependencies
    from videoalert_inference import handler as inference
    from videoalert_local.events import connect_upload_notifications
    from videoalert_local.pipeline import NoStreamsLocally

    sess, res = aws
    monkeypatch.setenv("MODEL_DIR", str(tiny_model_dir))
    inference.reset_runtime()
    queue_url = connect_upload_notifications(sess, None, res.video_bucket)
    deps = build_dependencies(res.settings(), session=sess, inference=InProcessInferenceClient(inference.handler),
                              clip_source=NoStreamsLocally())
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(camera_worker, "_dependencies", deps)  # a job given to the worker handler directly
    yield Pipeline(sess, res, queue_url, dispatcher, deps)
    inference.reset_runtime()


def moments(record: dict) -> list[float]:
    """The sampled moments of a record's frame scores, in order: regions "detect" (the default) gives a moment one
    entry per person proposal, so entries are not frames."""
    return sorted({float(f["t"]) for f in record.get("frame_scores") or []})
