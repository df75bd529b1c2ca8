"""Dispatcher Lambda: the minute tick and the upload router. With the camera job queue (the stack), a tick enqueues
one job per camera and an upload goes to its camera's queue group (the camera worker records, scores, decides and
alerts); without it (the local run), the same per-camera work runs here in line. Redrives run here."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert import telemetry
from videoalert.app import fanout, lifecycle
from videoalert.app.commands import (
    Command,
    MalformedEvent,
    ScheduledRun,
    UploadedObject,
    parse_event,
    refuse_future_ticks,
)
from videoalert.app.dependencies import Dependencies
from videoalert.app.outcomes import ClipOutcome, describe
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.domain.ids import NotAnUploadKey
from videoalert.wiring import build_dependencies
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
telemetry.log_like(logger)
_dependencies: Dependencies[DispatcherSettings] | None = None


def dependencies() -> Dependencies[DispatcherSettings]:
    global _dependencies
    if _dependencies is None:
        _dependencies = build_dependencies(DispatcherSettings.from_env())
    return _dependencies


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        commands = parse_event(event)
        deps = dependencies()
        refuse_future_ticks(commands, now=deps.clock(), ahead=timedelta(seconds=deps.settings.max_tick_ahead_seconds))
    except MalformedEvent as exc:
        # Retrying cannot fix a malformed event: log it whole (nothing lost) and drop it.
        logger.error("malformed event dropped", extra={"reason": str(exc), "event": event})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        return {"ok": False, "error": {"code": "MALFORMED_EVENT", "message": str(exc)}}
    outcomes: list[ClipOutcome] = []
    try:
        for command in commands:
            outcomes.extend(_run(deps, command))
    finally:
        telemetry.record_metrics(metrics, outcomes)
    telemetry.log_outcomes(logger, outcomes)
    return {"ok": True, "outcomes": [describe(o) for o in outcomes]}


def _run(deps: Dependencies[DispatcherSettings], command: Command) -> list[ClipOutcome]:
    """One command: the tick fanned out (or run in line), an upload routed (or taken in line), a redrive."""
    if isinstance(command, ScheduledRun) and deps.jobs is not None:
        ticked = fanout.fan_out(deps, command.now)
        logger.info("tick fanned out", extra=ticked.describe())
        metrics.add_metric(name="CameraJobsSent", unit=MetricUnit.Count, value=ticked.sent)
        metrics.add_metric(name="RegistryPages", unit=MetricUnit.Count, value=ticked.pages)
        metrics.add_metric(name="FanOutMs", unit=MetricUnit.Milliseconds, value=ticked.send_s * 1000)
        return []
    if isinstance(command, ScheduledRun):
        return lifecycle.run_schedule(deps, command.now)
    if isinstance(command, UploadedObject):
        try:
            if deps.jobs is not None:
                job = fanout.route_upload(deps, command.bucket, command.key, etag=command.etag,
                                          version_id=command.version_id)
                logger.info("upload routed to its camera's queue group", extra={"camera_id": job.camera_id})
                return []
            return lifecycle.take_upload(deps, command.bucket, command.key, etag=command.etag,
                                         version_id=command.version_id)
        except NotAnUploadKey as exc:
            logger.error("object outside uploads/<camera>/ ignored", extra={"reason": str(exc)})
            metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
            return []
    return lifecycle.redrive(deps, command.video_ids)
