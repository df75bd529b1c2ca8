"""Dispatcher Lambda: the minute tick and the upload router. With the camera job queue (the stack), a tick enqueues
one job per camera and an upload goes to its camera's queue group (the camera worker does the work); without it, the
same per-camera work runs here in line. Redrives run here."""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app import dispatch, fanout
from videoalert.app.commands import (
    MalformedEvent,
    Redrive,
    ScheduledRun,
    UploadedObject,
    parse_event,
    refuse_future_ticks,
)
from videoalert.app.log_context import ClipContextFilter
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.domain.ids import NotAnUploadKey
from videoalert.wiring import build_dependencies
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
# The logic's loggers (videoalert.*) write the same JSON as the handler, with video_id and camera_id.
copy_config_to_registered_loggers(source_logger=logger, include={"videoalert"})
for _handler in logging.getLogger("videoalert").handlers:
    _handler.addFilter(ClipContextFilter())
_dependencies: dispatch.Dependencies | None = None

MS_METRICS = {"DecodeMs", "InferenceMs"}


def per_camera_metrics() -> bool:
    """Powertools' single_metric does not honour POWERTOOLS_METRICS_DISABLED (the local run sets it): read when the
    metrics are recorded, not at import, since the local run may set it after the module was imported."""
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() != "true"


def dependencies() -> dispatch.Dependencies:
    global _dependencies
    if _dependencies is None:
        _dependencies = build_dependencies(DispatcherSettings.from_env())
    return _dependencies


def record_metrics(outcomes: list[dispatch.ClipOutcome]) -> None:
    for outcome in outcomes:
        for name, value in outcome.metrics.items():
            unit = MetricUnit.Milliseconds if name in MS_METRICS else MetricUnit.Count
            metrics.add_metric(name=name, unit=unit, value=value)
        if per_camera_metrics() and outcome.camera_id and outcome.metrics.get("ClipsReceived"):
            # Per-camera series feed the offline and alert-rate alarms.
            with_camera = {k: v for k, v in outcome.metrics.items() if k in ("ClipsReceived", "Alerts")}
            for name, value in with_camera.items():
                with single_metric(name=f"{name}ByCamera", unit=MetricUnit.Count, value=value,
                                   namespace=METRICS_NAMESPACE) as metric:
                    metric.add_dimension(name="camera_id", value=outcome.camera_id)


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
    outcomes: list[dispatch.ClipOutcome] = []
    try:
        for command in commands:
            if isinstance(command, ScheduledRun) and deps.jobs is not None:
                ticked = fanout.fan_out(deps, command.now)
                logger.info("tick fanned out", extra=ticked.describe())
                metrics.add_metric(name="CameraJobsSent", unit=MetricUnit.Count, value=ticked.sent)
                metrics.add_metric(name="RegistryPages", unit=MetricUnit.Count, value=ticked.pages)
                metrics.add_metric(name="FanOutMs", unit=MetricUnit.Milliseconds, value=ticked.send_s * 1000)
            elif isinstance(command, ScheduledRun):
                outcomes.extend(dispatch.run_schedule(deps, command.now))
            elif isinstance(command, UploadedObject):
                try:
                    if deps.jobs is not None:
                        job = fanout.route_upload(deps, command.bucket, command.key, etag=command.etag,
                                                  version_id=command.version_id)
                        logger.info("upload routed to its camera's queue group", extra={"camera_id": job.camera_id})
                        continue
                    taken = dispatch.take_upload(deps, command.bucket, command.key, etag=command.etag,
                                                 version_id=command.version_id)
                except NotAnUploadKey as exc:
                    logger.error("object outside uploads/<camera>/ ignored", extra={"reason": str(exc)})
                    metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
                    continue
                outcomes.extend(taken)
            elif isinstance(command, Redrive):
                outcomes.extend(dispatch.redrive(deps, command.video_ids))
    finally:
        record_metrics(outcomes)
    for outcome in outcomes:
        logger.info("clip outcome", extra=dispatch.describe(outcome))
    return {"ok": True, "outcomes": [dispatch.describe(o) for o in outcomes]}
