"""What the pipeline's handlers emit: clip outcomes as Powertools metrics (totals, and the per-camera series the
dashboard and alarms read) and log lines, and the logic's loggers writing the handler's JSON."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from videoalert.app.log_context import ClipContextFilter
from videoalert.app.outcomes import ClipOutcome, describe
from videoalert_contract.names import METRICS_NAMESPACE

MS_METRICS = {"DecodeMs", "InferenceMs"}
PER_CAMERA_METRICS = ("ClipsReceived", "Alerts")


def log_like(logger: Logger) -> None:
    """The logic's loggers (videoalert.*) write the same JSON as the handler's, with video_id and camera_id."""
    copy_config_to_registered_loggers(source_logger=logger, include={"videoalert"})
    for handler in logging.getLogger("videoalert").handlers:
        if not any(isinstance(f, ClipContextFilter) for f in handler.filters):
            handler.addFilter(ClipContextFilter())


def per_camera_metrics() -> bool:
    """Powertools' single_metric does not honour POWERTOOLS_METRICS_DISABLED (the local run sets it): read when the
    metrics are recorded, not at import, since the local run may set it after the module was imported."""
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() != "true"


def record_metrics(metrics: Metrics, outcomes: Iterable[ClipOutcome]) -> None:
    """Each outcome's metrics as totals; a received clip's also per camera (the offline and alert-rate series)."""
    for outcome in outcomes:
        for name, value in outcome.metrics.items():
            unit = MetricUnit.Milliseconds if name in MS_METRICS else MetricUnit.Count
            metrics.add_metric(name=name, unit=unit, value=value)
        if per_camera_metrics() and outcome.camera_id and outcome.metrics.get("ClipsReceived"):
            with_camera = {k: v for k, v in outcome.metrics.items() if k in PER_CAMERA_METRICS}
            for name, value in with_camera.items():
                with single_metric(name=f"{name}ByCamera", unit=MetricUnit.Count, value=value,
                                   namespace=METRICS_NAMESPACE) as metric:
                    metric.add_dimension(name="camera_id", value=outcome.camera_id)


def log_outcomes(logger: Logger, outcomes: Iterable[ClipOutcome]) -> None:
    for outcome in outcomes:
        logger.info("clip outcome", extra=describe(outcome))
