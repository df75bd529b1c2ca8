"""Issue 21, case 4: an upload longer than a window is analysed whole, window by window, each window its own record,
and its alerts follow the camera's rule (k of n per window, one alert per event across windows)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from e2e.conftest import moments

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from handlers.conftest import LambdaContext, scheduled_event


@pytest.fixture
def redness(pipeline, monkeypatch, tmp_path):
    """The pipeline with the tiny model that scores red frames ~1 and blue ones ~0 (a red frame is "a person"); it
    sees whole frames, so cam1's rule scores whole frames (regions "full")."""
    from fixtures.onnx_models import write_tiny_model
    from videoalert.domain.rule import Rule
    from videoalert_inference import handler as inference

    monkeypatch.setenv("MODEL_DIR", str(write_tiny_model(tmp_path / "red", redness=True, input_size=32)))
    inference.reset_runtime()
    pipeline.deps.cameras.put_rule("cam1", Rule(regions="full"))
    return pipeline


def clip(path, seconds, red_between):
    lo, hi = red_between
    path.write_bytes(encode_clip(cfr_times(seconds, 2), lambda t: RED if lo <= t < hi else BLUE, size=(64, 48),
                                 gop=20))
    return path


def windows_of(pipeline, key):
    records = [r for r in pipeline.records() if r.get("upload_key") == key]
    return sorted(records, key=lambda r: float(r.get("clip_start_s") or 0))


def test_a_person_late_in_a_long_upload_is_found_and_alerts(redness, tmp_path):
    # Given a 5-minute upload, a person in view from 3:20 to 4:10 only
    key = redness.upload("cam1", clip(tmp_path / "long.mp4", 300, (200, 250)))
    # When its event is delivered
    redness.deliver()
    # Then it was analysed whole: five one-minute windows, each its own record with its own scores
    windows = windows_of(redness, key)
    assert [(w["clip_start_s"], w.get("clip_end_s")) for w in windows] == [
        (0.0, 60.0), (60.0, 120.0), (120.0, 180.0), (180.0, 240.0), (240.0, None)]
    assert all(w["status"] == "DONE" for w in windows)
    assert [len(moments(w)) for w in windows] == [60, 60, 60, 60, 60]
    assert [moments(w)[0] for w in windows] == [0.0, 60.0, 120.0, 180.0, 240.0]
    # and the person's minutes follow the camera's rule: one alert for the event, the next minute continues it
    assert [w["decision"] for w in windows] == ["NO_ALERT", "NO_ALERT", "NO_ALERT", "ALERT", "COOLDOWN"]
    assert windows[4]["cooldown_of"] == windows[3]["video_id"]
    (alert,) = redness.alerts()
    assert alert["body"]["video_id"] == windows[3]["video_id"] and alert["body"]["window"]["offset_s"] == 180.0
    # and the windows after the first name the upload they belong to, and the first says how many there are
    assert windows[0]["windows_total"] == 5
    assert {w.get("upload_of") for w in windows[1:]} == {windows[0]["video_id"]}


def test_windows_beyond_one_run_are_finished_by_the_scheduled_runs(redness, tmp_path):
    # Given an upload of four windows and a dispatcher that takes one window per run
    from dataclasses import replace

    redness.deps.settings = replace(redness.deps.settings, max_windows_per_run=1)
    key = redness.upload("cam1", clip(tmp_path / "long.mp4", 230, (200, 230)))
    redness.deliver()
    assert sorted(w["status"] for w in windows_of(redness, key)) == ["DONE", "DONE", "RECEIVED", "RECEIVED"]
    # When the schedule runs a minute later (the remaining windows are due by then), twice
    clock = redness.deps.records.clock
    redness.deps.records.clock = lambda: clock() + timedelta(minutes=1)
    for _ in range(2):
        redness.dispatcher.handler(scheduled_event(datetime.now(UTC)), LambdaContext())
    # Then every window is done, and the last one alerted
    windows = windows_of(redness, key)
    assert [w["status"] for w in windows] == ["DONE"] * 4
    assert [w["decision"] for w in windows] == ["NO_ALERT", "NO_ALERT", "NO_ALERT", "ALERT"]


def test_an_upload_longer_than_the_limit_is_rejected_whole(redness, tmp_path):
    from dataclasses import replace

    redness.deps.settings = replace(redness.deps.settings, max_upload_minutes=3)
    key = redness.upload("cam1", clip(tmp_path / "long.mp4", 200, (0, 0)))
    redness.deliver()
    (record,) = windows_of(redness, key)
    assert (record["status"], record["reason"]) == ("REJECTED", "TOO_LONG")
    assert "200" in record["reason_detail"] and redness.alerts() == []
