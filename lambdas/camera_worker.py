"""Camera worker Lambda: one job of the per-camera FIFO queue (SQS event source) -> that camera's due windows or
its upload, under the camera's lease. A tick that fails is not retried (the next tick, a minute later, resumes from
the cursor); an upload that fails is reported as a batch item failure, so SQS redelivers it, then dead-letters it."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from dispatcher import dependencies, record_metrics

from videoalert.app import dispatch, fanout
from videoalert.domain.jobs import CameraJob, JobKind, MalformedJob
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()


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
        try:
            job = CameraJob.from_message(str(record.get("body", "")))
        except MalformedJob as exc:
            logger.error("malformed camera job dropped", extra={"reason": str(exc), "body": record.get("body")})
            metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
            continue
        try:
            outcomes = fanout.work(deps, job, holder=f"{context.aws_request_id}/{message_id}")
        except Exception as exc:
            if job.kind in (JobKind.TICK, JobKind.SEGMENT):
                # A segment turn sent its successor already (fanout.work_segment); a redelivery would be stale.
                logger.exception("camera %s: %s failed; the next one resumes from the cursor", job.camera_id, job.kind)
                metrics.add_metric(name="CameraRunErrors", unit=MetricUnit.Count, value=1)
                continue
            logger.warning("camera %s: upload job failed, redelivered later: %s", job.camera_id, exc)
            metrics.add_metric(name="CameraJobRetries", unit=MetricUnit.Count, value=1)
            failures.append({"itemIdentifier": message_id})
            if group:
                failed_groups.add(group)
            continue
        record_metrics(outcomes)
        for outcome in outcomes:
            logger.info("clip outcome", extra=dispatch.describe(outcome))
    return {"batchItemFailures": failures}
