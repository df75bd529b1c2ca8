"""Fixtures for the false-alert loop: the real dispatcher, inference (tiny ONNX model), feedback and review handlers
on moto."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlers.conftest import LambdaContext, ListClipSource, scheduled_event

EVENTS = Path(__file__).parent / "events"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def feedback_event(body, *, user_arn="arn:aws:iam::123456789012:user/alice", raw_body: str | None = None) -> dict:
    event = json.loads((EVENTS / "feedback_function_url.json").read_text())
    event["body"] = raw_body if raw_body is not None else json.dumps(body)
    event["requestContext"]["authorizer"]["iam"]["userArn"] = user_arn
    return copy.deepcopy(event)


@dataclass
class Loop:
    sess: object
    res: object
    deps: object
    source: ListClipSource
    dispatcher: object
    feedback: object
    clips_dir: Path

    def minute(self, m: int, clip: str | None) -> dict | None:
        """Let camera cam1 see `clip` (a shared sample clip name) during minute m, and run the schedule for it."""
        start = T0 + timedelta(minutes=m)
        if clip:
            self.source.clips_by_start[("videoalert-cam1", start)] = [(self.clips_dir / f"{clip}.mp4").read_bytes()]
        self.dispatcher.handler(scheduled_event(start + timedelta(minutes=2, seconds=5)), LambdaContext())
        record = self.deps.records.get(f"cam1-{start:%Y%m%dT%H%M%SZ}")
        return None if record is None else record.to_item()

    def label(self, video_id: str, label: str, **extra) -> dict:
        answer = self.feedback.handler(feedback_event({"video_id": video_id, "label": label, **extra}), LambdaContext())
        return {"status": answer["statusCode"], "body": json.loads(answer["body"])}

    def alerts(self) -> list[dict]:
        from videoalert_local.emulator import drain_alerts

        return drain_alerts(self.sess, self.res.alert_queue_url)


@pytest.fixture(scope="session")
def colour_model_dir(tmp_path_factory) -> Path:
    """The tiny plumbing model: its embedding is a projection of the frame's mean colour, so the same clip gives
    the same embedding and clips with different backgrounds are far apart (measured: horse_02 vs human_02 0.25)."""
    from fixtures.onnx_models import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("colour-model"), redness=True, input_size=32)


@pytest.fixture
def loop(aws, monkeypatch, colour_model_dir, clips_dir):
    import dispatcher
    import feedback

    from videoalert.app.dependencies import Dependencies
    from videoalert.aws.inference import InProcessInferenceClient
    from videoalert.aws.s3 import ClipStore
    from videoalert.aws.sns import AlertPublisher
    from videoalert.domain.rule import Rule
    from videoalert.store.cameras import CameraStore
    from videoalert.store.memory import FpMemory
    from videoalert.store.videos import VideoRecords
    from videoalert.wiring import FeedbackStores
    from videoalert_inference import handler as inference

    sess, res = aws
    monkeypatch.setenv("MODEL_DIR", str(colour_model_dir))
    inference.reset_runtime()
    ddb = sess.resource("dynamodb")
    source = ListClipSource()
    deps = Dependencies(
        settings=res.settings(settle_seconds=60, max_windows_per_run=60),
        records=VideoRecords(ddb.Table(res.videos_table)),
        cameras=CameraStore(ddb.Table(res.cameras_table)),
        clips=ClipStore(sess.client("s3"), res.video_bucket),
        inference=InProcessInferenceClient(inference.handler),
        alerts=AlertPublisher(sess.client("sns"), res.alert_topic_arn),
        clip_source=source,
        memory=FpMemory(ddb.Table(res.fp_memory_table)),
    )
    # The colour model scores these clips 0.34-0.70: a 0.3 threshold makes every clip a detection, so what
    # is tested is what the loop does with detections. It scores whole frames (regions "full").
    deps.cameras.put_rule("cam1", Rule(threshold=0.3, min_frames=2, cooldown_s=300, fp_distance=0.15, regions="full"))
    deps.cameras.advance_cursor("cam1", None, T0)
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(
        feedback, "_stores", FeedbackStores(records=deps.records, cameras=deps.cameras, memory=deps.memory)
    )
    yield Loop(sess, res, deps, source, dispatcher, feedback, clips_dir)
    inference.reset_runtime()
