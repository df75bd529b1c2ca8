"""Alert-deliveries Lambda: the alert topic's SQS subscription -> the HTML e-mail (SES), the signed webhook and Web
Push, once each per alert (push: once per subscribed browser). A failed delivery is reported as a batch item failure:
SQS redelivers it (the channels already delivered are skipped), then dead-letters it."""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app.deliveries import BadAlert, DeliveryDependencies, deliver
from videoalert.config.deliveries import DeliverySettings
from videoalert.wiring import build_deliveries
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
_deps: DeliveryDependencies | None = None


def dependencies() -> DeliveryDependencies:
    global _deps
    if _deps is None:
        _deps = build_deliveries(DeliverySettings.from_env())
    return _deps


def alert_of(sqs_body: str) -> tuple[str, dict[str, Any]]:
    """The subject and the JSON alert of an SNS notification as SQS holds it (raw delivery off: the envelope)."""
    envelope = json.loads(sqs_body)
    message = envelope.get("Message", sqs_body) if isinstance(envelope, dict) else sqs_body
    body = json.loads(message) if isinstance(message, str) else message
    if not isinstance(body, dict):
        raise BadAlert("the message is not a JSON alert")
    return str(envelope.get("Subject") or body.get("subject") or ""), body


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)  # the alert holds presigned links and one-tap tokens
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = []
    for record in event.get("Records") or []:
        try:
            subject, body = alert_of(str(record.get("body", "")))
            outcome = deliver(subject, body, dependencies())
        except (BadAlert, json.JSONDecodeError) as exc:  # a retry cannot fix it: dropped, counted
            logger.error("alert not deliverable; dropped", extra={"reason": str(exc)[:300]})
            metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
            continue
        except Exception:
            logger.exception("alert delivery failed; SQS retries it")
            metrics.add_metric(name="DeliveryFailures", unit=MetricUnit.Count, value=1)
            failures.append({"itemIdentifier": str(record.get("messageId", ""))})
            continue
        delivered = sum(1 for v in outcome.values() if v.startswith("delivered"))
        metrics.add_metric(name="AlertDeliveries", unit=MetricUnit.Count, value=delivered)
    return {"batchItemFailures": failures}
