"""Issue 30, case 1: a scheduled event's time is checked against the clock. A tick dated in the future (or not a time
at all) is dropped as malformed, counted, and moves nothing; whatever time a tick or a camera job names, a camera's
cursor never moves past now."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handlers.conftest import LambdaContext, scheduled_event
from handlers.test_fanout import Clock, receive_all, sqs_event
from videoalert.aws.jobs import CameraJobQueue
from videoalert.domain.jobs import CameraJob, JobKind
from videoalert_local.emulator import create_job_queue

NOW = datetime(2026, 12, 4, 6, 30, 20, tzinfo=UTC)
CURSOR = datetime(2026, 12, 4, 6, 25, tzinfo=UTC)


@pytest.fixture
def clocked(wired, monkeypatch):
    """The in-line dispatcher (no job queue) with a clock held at NOW, cam1's cursor at 06:25."""
    import dispatcher

    sess, res, deps, inference, source = wired
    deps = replace(deps, clock=Clock(NOW))
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, CURSOR)
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    return deps, source


def cursor(deps) -> datetime | None:
    return deps.cameras.get("cam1").cursor


def invoke(event):
    import dispatcher

    return dispatcher.handler(event, LambdaContext())


def malformed_counted(capsys) -> bool:
    """The handler's EMF output counted a MalformedEvents metric."""
    return '"MalformedEvents"' in capsys.readouterr().out


@pytest.mark.parametrize("when", [datetime(2099, 1, 1, tzinfo=UTC), NOW + timedelta(minutes=10)],
                         ids=["in-2099", "ten-minutes-ahead"])
def test_a_future_dated_tick_is_dropped_as_malformed_and_moves_no_cursor(clocked, capsys, when):
    deps, source = clocked
    # When a scheduled event dated in the future arrives
    answer = invoke(scheduled_event(when))
    # Then it is dropped as malformed, counted, and the camera's cursor has not moved
    assert answer["ok"] is False and answer["error"]["code"] == "MALFORMED_EVENT"
    assert "future" in answer["error"]["message"] and malformed_counted(capsys)
    assert cursor(deps) == CURSOR and source.calls == []
    # And the next real tick cuts the minutes that have settled, and no later one
    invoke(scheduled_event(NOW))
    assert cursor(deps) == datetime(2026, 12, 4, 6, 29, tzinfo=UTC)


@pytest.mark.parametrize("time_value", [4102444800, 17.5, None, ["2026-12-04T06:30:00Z"], {"t": 1}, ""])
def test_a_tick_whose_time_is_not_text_is_dropped_as_malformed(clocked, capsys, time_value):
    deps, _ = clocked
    answer = invoke({"source": "aws.events", "detail-type": "Scheduled Event", "time": time_value})
    assert answer["ok"] is False and answer["error"]["code"] == "MALFORMED_EVENT" and malformed_counted(capsys)
    assert cursor(deps) == CURSOR


def test_a_tick_a_little_ahead_of_the_clock_is_taken_but_the_cursor_stops_at_now(clocked):
    # Given a tick 2 minutes ahead of the function's clock (clocks drift; within the tolerance)
    deps, _ = clocked
    answer = invoke(scheduled_event(NOW + timedelta(minutes=2)))
    # Then it runs, but only minutes settled by the clock are cut: the cursor never passes now
    assert answer["ok"] is True
    assert cursor(deps) == datetime(2026, 12, 4, 6, 29, tzinfo=UTC)


def test_a_late_tick_still_does_its_minutes(clocked):
    # A tick delivered late (Lambda retries an async event for hours) is not refused: it cuts what had settled by
    # its time, and the cursor still only moves forward
    deps, _ = clocked
    assert invoke(scheduled_event(NOW - timedelta(minutes=3)))["ok"] is True
    assert cursor(deps) == datetime(2026, 12, 4, 6, 26, tzinfo=UTC)


def test_the_fan_out_sends_no_job_for_a_future_dated_tick(wired, monkeypatch, capsys):
    import dispatcher

    sess, res, deps, _, _ = wired
    url = create_job_queue(sess, visibility_timeout_s=30)
    clock = Clock(NOW)
    deps = replace(deps, jobs=CameraJobQueue(sess.client("sqs"), url), clock=clock, sleep=clock.sleep)
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    answer = invoke(scheduled_event(datetime(2099, 1, 1, tzinfo=UTC)))
    assert answer["error"]["code"] == "MALFORMED_EVENT" and receive_all(sess, url) == []


def test_a_camera_job_dated_in_the_future_never_moves_the_cursor_past_now(wired, monkeypatch):
    # Given a camera job whose tick time is 2098 (a forged or corrupted message on the job queue)
    import camera_worker
    import dispatcher

    sess, res, deps, _, _ = wired
    url = create_job_queue(sess, visibility_timeout_s=30)
    deps = replace(deps, jobs=CameraJobQueue(sess.client("sqs"), url), clock=Clock(NOW))
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(camera_worker, "_dependencies", deps)
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, CURSOR)
    deps.jobs.send([CameraJob(JobKind.TICK, "cam1", datetime(2098, 1, 1, tzinfo=UTC))])
    # When the worker does it
    camera_worker.handler(sqs_event(receive_all(sess, url)), LambdaContext())
    # Then the camera's minutes were cut up to now, and not one minute further
    assert deps.cameras.get("cam1").cursor == datetime(2026, 12, 4, 6, 29, tzinfo=UTC)
