"""`run-local --serve`: the emulators kept running after the run, handling uploads as they arrive and sending the
scheduled event, until Ctrl-C; other commands reach them with --local through the recorded state."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from videoalert_cli.resources import clear_local_state, local_resource_names, write_local_state

from . import emulator
from .events import deliver_events, scheduled_event
from .handlers import DEAD_LETTERS, handle
from .pipeline import LocalPipeline
from .results import indented

SERVE_TICK_S = 10.0  # the scheduled event is sent this often (EventBridge: every minute)
# While serving, each camera's stream is scored every SERVE_SEGMENT_S as its fragments settle, as the stack's segment
# chain does (SEGMENT_SECONDS, docs/latency.md): here the in-line scheduled run is the chain's turn, so a person pushed
# with `videoalert push --realtime --local` alerts seconds after appearing, not after the minute.
SERVE_SEGMENT_S = 5


def refuse_a_second_emulator() -> None:
    """One emulator per user: --local follows one record."""
    from videoalert_cli.errors import UserError
    from videoalert_cli.resources import local_state_path, running_local_state

    running = running_local_state()
    if running is not None:
        raise UserError(f"a local emulator is already running (pid {running.pid}, recorded in "
                        f"{local_state_path()}): stop it first, or use it with --local")


def serve_until_stopped(pipe: LocalPipeline, camera: str, *, clock: Callable[[], datetime], stop: threading.Event,
          say: Callable[[str], None]) -> None:
    """Record the emulators for --local, then deliver uploads and tick the schedule until Ctrl-C or `stop`."""
    path = write_local_state(pipe.endpoint, local_resource_names(pipe.res.alert_topic_arn),
                             kvs_endpoint_url=pipe.kvs.url)
    say(f"\nemulators kept running (recorded in {path}; Ctrl-C stops them). In another terminal:\n"
        f"  videoalert camera add cam2 --local   (a camera more: its stream, then the next tick lists it)\n"
        f"  videoalert upload {camera} some.mp4 --local\n"
        f"  videoalert push {camera} some.mp4 --local --realtime   (a person alerts seconds after appearing)\n"
        f"  videoalert list --camera {camera} --local\n"
        f"Their state (records, clips, streams, alerts) lives in this process's memory only: stopping it "
        f"loses them, and a new run starts empty. An event the dispatcher fails on is kept in {DEAD_LETTERS} "
        f"and the run goes on.")
    if pipe.deps.links is not None:  # a signed review link, valid 7 days (the run's key dies with the run)
        say(f"review page of {camera}: {pipe.deps.links.review_url(camera, datetime.now(UTC))}")
        say(f"events of every camera: {pipe.deps.links.review_url('*', datetime.now(UTC))}")

    def report(answer: dict[str, Any]) -> None:
        for outcome in answer.get("outcomes", []):
            if outcome.get("video_id") and outcome.get("status") not in ("IDLE", "DUPLICATE"):
                say(f"{outcome['video_id']}: {outcome.get('status')} {outcome.get('decision', '')}"
                    f" {outcome.get('reason', '')}".rstrip())

    pipe.deps.settings = replace(pipe.deps.settings, segment_seconds=SERVE_SEGMENT_S)
    tick_s = min(SERVE_TICK_S, SERVE_SEGMENT_S)
    try:
        next_tick = time.monotonic()
        while not stop.is_set():
            deliver_events(pipe.sess, pipe.endpoint, pipe.queue_url, pipe.dispatcher,
                           wait_s=min(1.0, tick_s), on_done=report)
            if time.monotonic() >= next_tick:
                report(handle(pipe.dispatcher, scheduled_event(clock())))
                next_tick = time.monotonic() + tick_s
            for alert in emulator.drain_alerts(pipe.sess, pipe.res.alert_queue_url, endpoint_url=pipe.endpoint):
                say(f"ALERT: {alert['subject']} ({alert['body']['video_id']})")
                say(indented(alert["body"].get("text") or ""))
    except KeyboardInterrupt:
        say("stopping the emulators")
    finally:
        clear_local_state()
