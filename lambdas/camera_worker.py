"""Camera worker Lambda: one job of the per-camera FIFO queue (SQS event source) -> that camera's due windows or
its upload, recorded, scored, decided and alerted under the camera's lease. A tick that fails is not retried (the
next tick, a minute later, resumes from the cursor); an upload that fails is reported as a batch item failure, so
SQS redelivers it, then dead-letters it."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert import telemetry
from videoalert.app import camera_jobs
from videoalert.app.dependencies import Dependencies
from videoalert.config.worker import WorkerSettings
from videoalert.domain.jobs import CameraJob, JobKind, MalformedJob
from videoalert.wiring import build_dependencies
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
telemetry.log_like(logger)
_dependencies: Dependencies[WorkerSettings] | None = None


def dependencies() -> Dependencies[WorkerSettings]:
    global _dependencies
    if _dependencies is None:
        _dependencies = build_dependencies(WorkerSettings.from_env())
    return _dependencies


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        logger.error("not an SQS event; dropped", extra={"event": event})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        return {"batchItemFailures": []}
    deps = dependencies()
    failures: list[dict[str, str]] = []
    failed_groups: set[str] = set()
    for record in records:
        message_id = str(record.get("messageId", ""))
        group = str((record.get("attributes") or {}).get("MessageGroupId", ""))
        if group and group in failed_groups:
            # FIFO: a group's later messages wait for the one that failed, so its order holds on the retry.
            failures.append({"itemIdentifier": message_id})
            continue
        if not _work(deps, record, holder=f"{context.aws_request_id}/{message_id}"):
            failures.append({"itemIdentifier": message_id})
            if group:
                failed_groups.add(group)
    return {"batchItemFailures": failures}


def _work(deps: Dependencies[WorkerSettings], record: dict[str, Any], *, holder: str) -> bool:
    """One message's job; False when it must be redelivered (an upload that failed)."""
    try:
        job = CameraJob.from_message(str(record.get("body", "")))
    except MalformedJob as exc:
        logger.error("malformed camera job dropped", extra={"reason": str(exc), "body": record.get("body")})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        return True
    try:
        outcomes = camera_jobs.work(deps, job, holder=holder)
    except Exception as exc:
        if job.kind in (JobKind.TICK, JobKind.SEGMENT):
            # A segment turn has sent its successor already (segment_chain.work_segment); a redelivery would be stale.
            logger.exception("camera %s: %s failed; the next one resumes from the cursor", job.camera_id, job.kind)
            metrics.add_metric(name="CameraRunErrors", unit=MetricUnit.Count, value=1)
            return True
        logger.warning("camera %s: upload job failed, redelivered later: %s", job.camera_id, exc)
        metrics.add_metric(name="CameraJobRetries", unit=MetricUnit.Count, value=1)
        return False
    telemetry.record_metrics(metrics, outcomes)
    telemetry.log_outcomes(logger, outcomes)
    return True
